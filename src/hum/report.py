"""Corpus metrics: record counts by task, sub-task, format, rule, kind, language and dataset, and diversity per task."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
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
    tally = Tally()
    for rec in records:
        tally.add(rec)
        if (task := tally.tasks[str(rec["meta"]["task"])]).wants_grams:
            task.add_grams([grams_of(rec)])
    return tally.summary()


def _counters() -> dict[str, Counter[str]]:
    return {f"per_{f}": Counter() for f in (*FIELDS, "rule")}


@dataclass
class Tally:
    """`corpus_metrics` of some records as sums and sets, which merge exactly in any grouping (a batch's, a split's).

    The 4-grams are the exception: only a task's first GRAM_RECORDS records count, which depends on order, so they
    are added apart (`Diversity.add_grams`), in order, by whoever knows it.
    """

    records: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=_counters)
    tasks: defaultdict[str, Diversity] = field(default_factory=lambda: defaultdict(Diversity))

    def add(self, record: Record) -> None:
        """Count one record (its 4-grams aside)."""
        self.records += 1
        meta = record["meta"]
        for f in FIELDS:
            self.counts[f"per_{f}"][str(meta[f])] += 1
        self.counts["per_rule"].update(meta.get("rules", []))
        self.tasks[str(meta["task"])].add(record)

    def merge(self, other: Tally) -> None:
        """Add the counts of `other` (records that come after these: the 4-grams are not merged)."""
        self.records += other.records
        for key, counter in other.counts.items():
            self.counts[key].update(counter)
        for task, diversity in other.tasks.items():
            self.tasks[task].merge(diversity)

    def summary(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The counts and the diversity per task, as `corpus_metrics` returns them."""
        summary = {"records": self.records, **{k: dict(sorted(v.items())) for k, v in sorted(self.counts.items())}}
        return summary, {task: self.tasks[task].summary() for task in sorted(self.tasks)}


class Diversity:
    """Diversity of one task's instructions: what the Hum method multiplies, measured on what was kept."""

    def __init__(self) -> None:
        self.records = self.compound = self.empty = self.with_guidelines = self.labelled_compound = self.fallbacks = 0
        self.values: dict[str, set[str]] = defaultdict(set)
        self.grams: Counter[tuple[str, ...]] = Counter()
        self.gram_records = 0  # records whose 4-grams were offered (the first GRAM_RECORDS count)

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

    def merge(self, other: Diversity) -> None:
        """Add the counts and distinct values of `other`, a count of later records of the same task (not its 4-grams)."""
        self.records += other.records
        self.compound += other.compound
        self.empty += other.empty
        self.with_guidelines += other.with_guidelines
        self.labelled_compound += other.labelled_compound
        self.fallbacks += other.fallbacks
        for key, values in other.values.items():
            self.values[key] |= values

    @property
    def wants_grams(self) -> bool:
        """Whether the 4-grams of the task's next record would still count."""
        return self.gram_records < GRAM_RECORDS

    def add_grams(self, grams: Iterable[list[tuple[str, ...]]]) -> None:
        """Count the 4-grams of the task's next records (one list each, in order) while fewer than GRAM_RECORDS have been.

        Called after `add` has counted these records: the grams of record number `gram_records + 1` onwards count
        while that number is at most GRAM_RECORDS.
        """
        for each in grams:
            self.gram_records += 1
            if self.gram_records <= GRAM_RECORDS:
                self.grams.update(each)

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


def grams_of(record: Record) -> list[tuple[str, ...]]:
    """Word 4-grams (character 4-grams for Chinese) of the user message with its input text cut out."""
    user = message(record, "user")
    start, end = record["meta"].get("text_span", (0, 0))
    rest = user[:start] + " " + user[end:]
    tokens = list(rest.replace(" ", "")) if record["meta"]["lang"] == "zh" else rest.split()
    return [tuple(tokens[i : i + GRAM]) for i in range(len(tokens) - GRAM + 1)]
