"""Summable counts: a record's contribution to its dataset's metrics, added up over records and datasets alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T", "Tally", float)


@dataclass(frozen=True)
class Tally:
    """Matched predictions and gold items of one comparison, micro-averaged by summing.

    Exact matching credits a match once on each side (`hit_pred == hit_gold`); CaRB credits token shares, which differ.
    With neither predictions nor gold, precision, recall and F1 are all 1: nothing to find and nothing wrongly found.
    """

    hit_pred: float = 0.0
    pred: int = 0
    hit_gold: float = 0.0
    gold: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.hit_pred + other.hit_pred, self.pred + other.pred, self.hit_gold + other.hit_gold, self.gold + other.gold
        )

    def precision(self) -> float:
        """Matched share of the predictions (1 when nothing was predicted and nothing was there)."""
        return self.hit_pred / self.pred if self.pred else float(self.gold == 0)

    def recall(self) -> float:
        """Found share of the gold items (1 when there was nothing and nothing was predicted)."""
        return self.hit_gold / self.gold if self.gold else float(self.pred == 0)

    def f1(self) -> float:
        """Harmonic mean of precision and recall (0 when both are 0)."""
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0


def exact(gold: set[tuple[str, ...]], pred: set[tuple[str, ...]] | None) -> Tally:
    """Exact-match tally of two sets; an unparsable reply (None) is one wrong prediction, so even empty gold scores 0."""
    if pred is None:
        return Tally(0.0, 1, 0.0, len(gold))
    hit = len(gold & pred)
    return Tally(hit, len(pred), hit, len(gold))


@dataclass(frozen=True)
class Counts:
    """What records contribute to a dataset's metrics; `+` sums them, so records, shards and runs combine."""

    records: int = 0
    unparsable: int = 0
    tallies: Mapping[str, Tally] = field(default_factory=dict)  # micro P/R/F1 by metric, e.g. "entity"
    sums: Mapping[str, float] = field(default_factory=dict)  # per-record scores averaged over records, e.g. "exact_match"
    labels: Mapping[str, Tally] = field(default_factory=dict)  # classification tallies by label, for macro-F1

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.records + other.records,
            self.unparsable + other.unparsable,
            merged(self.tallies, other.tallies),
            merged(self.sums, other.sums),
            merged(self.labels, other.labels),
        )


def merged(a: Mapping[str, T], b: Mapping[str, T]) -> dict[str, T]:
    """Two mappings with the values of shared keys added."""
    return {**a, **b, **{k: a[k] + b[k] for k in a.keys() & b.keys()}}
