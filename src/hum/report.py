"""Corpus metrics: record counts by task, sub-task, format, rule, kind, language and dataset, and diversity per task."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from hum.answers import query_of
from hum.io import Record
from hum.records import message
from hum.rules import apply_rules
from hum.tasks import TASKS

FIELDS = ("task", "subtask", "format", "kind", "lang", "dataset")
GRAM = 4
# Records per task whose 4-grams are counted: distinct n-grams grow with the corpus and so would memory; the ratio
# over a fixed number of records also compares corpora (ablations) of different sizes fairly.
GRAM_RECORDS = 20_000


def corpus_metrics(records: Iterable[Record]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Counts over the final corpus (`rule` counts every rule a record states) and diversity per task."""
    counts: dict[str, Counter[str]] = {f"per_{f}": Counter() for f in (*FIELDS, "rule")}
    tasks: dict[str, Diversity] = defaultdict(Diversity)
    total = 0
    for rec in records:
        total += 1
        meta = rec["meta"]
        for f in FIELDS:
            counts[f"per_{f}"][str(meta[f])] += 1
        counts["per_rule"].update(meta.get("rules", []))
        tasks[str(meta["task"])].add(rec)
    summary = {"records": total, **{k: dict(sorted(v.items())) for k, v in sorted(counts.items())}}
    return summary, {task: tasks[task].summary() for task in sorted(tasks)}


class Diversity:
    """Diversity of one task's instructions: what the Hum method multiplies, measured on what was kept."""

    def __init__(self) -> None:
        self.records = self.compound = self.empty = self.with_guidelines = self.labelled_compound = self.fallbacks = 0
        self.values: dict[str, set[str]] = defaultdict(set)
        self.grams: Counter[tuple[str, ...]] = Counter()

    def add(self, record: Record) -> None:
        """Count one record."""
        meta = record["meta"]
        self.records += 1
        self.fallbacks += bool(meta.get("fallback"))
        source = meta.get("description_source") or "none"
        self.values[f"descriptions {source}"].add(str(meta.get("description_id")))
        self.values["formats"].add(meta["format"])
        self.values["rule combinations"].add(",".join(meta.get("rules", [])))
        self.values["layouts"].add(str(meta.get("layout")))
        if meta["kind"] == "compound":
            self.compound += 1
            if meta["labels"] and meta["task"] in TASKS and TASKS[meta["task"]].labelled:
                self.labelled_compound += 1
                self.with_guidelines += bool(meta.get("guidelines"))
        self.empty += meta["task"] in TASKS and not apply_rules(meta.get("rules", []), query_of(meta))
        if self.records <= GRAM_RECORDS:
            self.grams.update(_grams(record))

    def summary(self) -> dict[str, Any]:
        """Distinct counts and shares, rounded for reading."""
        n = max(self.records, 1)
        return {
            "records": self.records,
            **{f"distinct {key}": len(vals) for key, vals in sorted(self.values.items())},
            "compound share": round(self.compound / n, 3),
            "guideline share of labelled compound": round(self.with_guidelines / max(self.labelled_compound, 1), 3),
            "empty share": round(self.empty / n, 3),
            "format fallbacks to json": self.fallbacks,
            "distinct 4-gram ratio": round(len(self.grams) / max(self.grams.total(), 1), 3),
        }


def _grams(record: Record) -> list[tuple[str, ...]]:
    """Word 4-grams (character 4-grams for Chinese) of the user message with its input text cut out."""
    user = message(record, "user")
    start, end = record["meta"].get("text_span", (0, 0))
    rest = user[:start] + " " + user[end:]
    tokens = list(rest.replace(" ", "")) if record["meta"]["lang"] == "zh" else rest.split()
    return [tuple(tokens[i : i + GRAM]) for i in range(len(tokens) - GRAM + 1)]
