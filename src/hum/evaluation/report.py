"""Metrics from counts: per dataset, macro-averaged over a task's datasets, and over tasks.

Keys are `<task>/<dataset>/<metric>`, `<task>/<metric>` (the mean over the task's datasets that have the metric) and
`overall/score`, with `records` and `unparsable` summed at each level. A task's `score` is the mean of its headline
metrics (`HEADLINE`); `overall/score` is the mean of the tasks' scores. Values are rounded to 4 digits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import fmean
from typing import Any

from hum.evaluation.counts import Counts

HEADLINE = {
    "ner": ("entity_f1",),
    "re": ("relation_strict_f1",),
    "ee": ("trigger_classification_f1", "argument_classification_f1"),
    "oie": ("tuple_f1",),
    "mrc": ("f1",),
    "generalist": ("f1",),
    "cls": ("accuracy",),
}


def group(scored: Iterable[tuple[Mapping[str, Any], Counts]]) -> dict[tuple[str, str], Counts]:
    """Counts summed per (task, dataset), from (meta, counts) pairs."""
    groups: dict[tuple[str, str], Counts] = {}
    for meta, counts in scored:
        key = (meta["task"], meta["dataset"])
        groups[key] = groups.get(key, Counts()) + counts
    return groups


def metric_values(counts: Counts) -> dict[str, float]:
    """Every metric the counts hold: micro P/R/F1 per tally, per-record means, macro-F1 over labels."""
    values: dict[str, float] = {}
    for name, t in counts.tallies.items():
        values |= {f"{name}_precision": t.precision(), f"{name}_recall": t.recall(), f"{name}_f1": t.f1()}
    values |= {name: total / counts.records for name, total in counts.sums.items()}
    if counts.labels:
        values["macro_f1"] = fmean(t.f1() for t in counts.labels.values())
    return values


def summarise(groups: Mapping[tuple[str, str], Counts]) -> dict[str, float]:
    """The report of `group`'s output: per dataset, per task and overall (see the module's docstring)."""
    report: dict[str, float] = {}
    scores = []
    for task in sorted({t for t, _ in groups}):
        datasets = {d: c for (t, d), c in sorted(groups.items()) if t == task}
        per_dataset = {d: metric_values(c) | sizes(c) for d, c in datasets.items()}
        summary = task_values(task, list(per_dataset.values()), sum(datasets.values(), Counts()))
        report |= {f"{task}/{d}/{m}": v for d, values in per_dataset.items() for m, v in values.items()}
        report |= {f"{task}/{m}": v for m, v in summary.items()}
        scores.append(summary["score"])
    report |= {f"overall/{m}": v for m, v in sizes(sum(groups.values(), Counts())).items()}
    if scores:
        report["overall/score"] = fmean(scores)
    return {k: round(v, 4) for k, v in report.items()}


def task_values(task: str, per_dataset: list[dict[str, float]], total: Counts) -> dict[str, float]:
    """A task's metrics averaged over its datasets, its headline score, and its summed sizes."""
    values = macro(per_dataset)
    values["score"] = fmean(values[m] for m in HEADLINE[task] if m in values)
    return values | sizes(total)


def sizes(counts: Counts) -> dict[str, float]:
    """How many records were scored and how many replies could not be read."""
    return {"records": counts.records, "unparsable": counts.unparsable}


def macro(per_dataset: list[dict[str, float]]) -> dict[str, float]:
    """The mean of each metric over the datasets that have it (counts excluded: those are summed)."""
    names = {m for values in per_dataset for m in values} - {"records", "unparsable"}
    return {m: fmean(v[m] for v in per_dataset if m in v) for m in sorted(names)}
