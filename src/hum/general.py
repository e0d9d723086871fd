"""General instruction data in the corpus's chat form, so mixing treats it like any other record."""

from __future__ import annotations

from hum.io import Record


def to_chat(record: Record) -> Record:
    """A prepared general record as chat messages, with the same meta fields as task records (one Arrow schema)."""
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": record["text"]},
        {"role": "assistant", "content": record["output"]},
    ]
    meta = {
        "task": "general", "subtask": "general", "dataset": record["dataset"], "seed_id": record["id"],
        "lang": record["lang"], "kind": "general", "format": "text", "rules": [], "guidelines": [],
        "description_id": None, "columns": [], "label_column": None, "labels": [], "gold": [], "offsets": [],
    }  # fmt: skip
    return {"id": f"{record['dataset']}/{record['id']}#0", "messages": messages, "meta": meta}
