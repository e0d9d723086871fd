"""Corpus metrics: record counts by task, sub-task, format, rule, kind, language and dataset."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from hum.io import Record

FIELDS = ("task", "subtask", "format", "kind", "lang", "dataset")


def corpus_counts(records: Iterable[Record]) -> dict[str, Any]:
    """Counts over the final corpus; `rule` counts every rule a record states."""
    counts: dict[str, Counter[str]] = {f"per_{f}": Counter() for f in (*FIELDS, "rule")}
    total = 0
    for rec in records:
        total += 1
        meta = rec["meta"]
        for f in FIELDS:
            counts[f"per_{f}"][str(meta[f])] += 1
        counts["per_rule"].update(meta.get("rules", []))
    return {"records": total, **{k: dict(sorted(v.items())) for k, v in sorted(counts.items())}}
