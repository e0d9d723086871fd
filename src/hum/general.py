"""General instruction data in the corpus's chat form, so mixing treats it like any other record."""

from __future__ import annotations

from hum.io import Record
from hum.records import meta_record


def to_chat(record: Record) -> Record:
    """A prepared general record as chat messages, with the same meta fields as task records (one Arrow schema)."""
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": record["text"]},
        {"role": "assistant", "content": record["output"]},
    ]
    meta = meta_record(
        task="general", subtask="general", dataset=record["dataset"], seed_id=record["id"], lang=record["lang"], kind="general",
        text_span=[0, len(record["text"])],
    )
    return {"id": f"{record['dataset']}/{record['id']}#0", "messages": messages, "meta": meta}
