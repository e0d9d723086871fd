"""Conflicts: one request, different answers. Settled by policy; `merge` takes the union of set-valued gold rows.

Merging is only sound where an answer is a set of rows (NER, RE, EE, open IE) and both records state the same
columns, labels, rules and format: the first record then gets the union of the gold rows, rendered again with
its own rules and format exactly as `generate` renders, so `validate` checks it like any other record.
Anything else falls back to keep_first, and the conflict line says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from hum.answers import query_of
from hum.formats import FORMATS, ParseError
from hum.io import Record
from hum.records import message
from hum.rules import apply_rules, rule_columns

MERGEABLE = frozenset({"ner", "re", "ee", "oie"})
_SAME = ("task", "subtask", "columns", "label_column", "labels", "format", "rules", "empty")
_TEXT_ORDER = ({"ner", "re", "ee"}, {"order:text", "limit:first"})  # need offsets to put merged rows in text order


def merged(first: Record, others: list[Record]) -> Record | str:
    """`first` with the union of every record's gold rows as its gold and answer, or why that is not possible."""
    meta, records = first["meta"], [first, *others]
    if meta["task"] not in MERGEABLE:
        return f"{meta['task']} answers are not sets of rows"
    if any(k not in r["meta"] for r in records for k in ("gold", "format", "columns", "rules")):
        return "the records carry no gold rows to merge"
    if any(o["meta"].get(k) != meta.get(k) for o in others for k in _SAME):
        return "the records differ in columns, labels, rules or format"
    spans = all(len(r["meta"].get("offsets") or []) == len(r["meta"]["gold"]) for r in records)
    if not spans and meta["task"] in _TEXT_ORDER[0] and _TEXT_ORDER[1] & set(meta["rules"]):
        return "the text order of the merged rows is unknown without offsets"
    union: dict[tuple[tuple[str, ...], tuple[int, ...]], None] = {}
    for r in records:
        offsets = r["meta"]["offsets"] if spans else [()] * len(r["meta"]["gold"])
        for row, span in zip(r["meta"]["gold"], offsets, strict=True):
            union.setdefault((tuple(row), tuple(span)), None)
    items = sorted(union, key=lambda item: (item[1][0], -item[1][1])) if spans else list(union)  # as NER sorts
    new = {**meta, "gold": [list(row) for row, _ in items], "offsets": [list(span) for _, span in items] if spans else []}
    answer = rendered(new)
    if answer is None:
        return "the merged rows cannot be written in the record's format"
    messages = [{**m, "content": answer} if m["role"] == "assistant" else m for m in first["messages"]]
    return {**first, "messages": messages, "meta": new}


def rendered(meta: Record) -> str | None:
    """The answer that `meta`'s gold, rules and format call for, if it parses back to the same rows."""
    query, fmt, empty = query_of(meta), FORMATS[meta["format"]], meta.get("empty")
    columns = rule_columns(meta["rules"], query.columns)
    rows = fmt.arrange(apply_rules(meta["rules"], query))
    try:
        text = fmt.render(rows, columns, empty)
        return text if fmt.parse(text, columns, empty) == rows else None
    except ParseError:  # no columns to write, or a value the format cannot hold
        return None


@dataclass(frozen=True)
class Settled:
    """A conflict group once settled: the first record as written (None: dropped), the action, the report lines."""

    record: Record | None
    action: str
    merged: bool
    lines: list[Record]


def settle(first: Record, others: list[tuple[Record, str]], policy: str, first_kept: bool) -> Settled:
    """Apply `policy` to a first record and the (record, kind) pairs that conflict with it."""
    record: Record | None = first if first_kept and policy != "drop_both" else None
    action, done = policy, False
    if policy == "merge":
        result = merged(first, [o for o, _ in others]) if first_kept else "the first record is itself removed"
        if isinstance(result, str):
            action = f"keep_first (merge not possible: {result})"
        else:
            record, done = result, True
    written = None if record is None else message(record, "assistant")
    lines = [
        {
            "action": action,
            "kind": kind,
            "ids": [first["id"], other["id"]],
            "answers": [message(first, "assistant"), message(other, "assistant")],
            "written": written,
        }
        for other, kind in others
    ]
    return Settled(record, action, done, lines)
