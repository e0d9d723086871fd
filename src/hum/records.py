"""Read the parts of an instruction record: its messages by role, and the input text inside the user message."""

from __future__ import annotations

from typing import Any

from hum.io import Record


def message(record: Record, role: str) -> str:
    """The content of the record's first message of `role` ('' when there is none: layouts may omit the system)."""
    return next((m["content"] for m in record["messages"] if m["role"] == role), "")


def input_text(record: Record) -> str:
    """The seed text as laid into the user message (`meta.text_span`), wherever the layout put it."""
    start, end = record["meta"]["text_span"]
    return message(record, "user")[start:end]


META: dict[str, Any] = {  # every record's meta has these fields, so the corpus loads as one Arrow schema
    "task": None, "subtask": None, "dataset": None, "seed_id": None, "lang": None, "kind": None, "format": "text",
    "rules": [], "empty": None, "guidelines": [], "guideline_file": None, "description_id": None,
    "description_source": None, "layout": None, "phrasings": {"system": None, "format": None, "rules": []},
    "negative": False, "fallback": False, "columns": [], "label_column": None, "labels": [], "slots": {}, "gold": [],
    "offsets": [], "text_span": [0, 0],
}  # fmt: skip
META_FIELDS = frozenset(META)


def meta_record(**fields: Any) -> Record:
    """A meta dict with every field of `META`, the given ones set; an unknown field is a programming error."""
    if not fields.keys() <= META_FIELDS:
        raise KeyError(f"unknown meta fields: {sorted(fields.keys() - META_FIELDS)}")
    return {**META, **fields}
