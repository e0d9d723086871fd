"""Plot data for `dvc plots`: distributions of the training split and histograms of its lengths, as small CSV files.

CSV keeps them readable in a diff and in `dvc plots diff` across corpus versions; the files are git-tracked
like the metrics (the stage declares `metrics/plots` with `cache: false`).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from hum.io import Record, atomic_dir, atomic_open
from hum.records import message

BIN = 100  # characters per histogram bin
DISTRIBUTIONS = ("task", "format", "rule", "dataset", "lang")


class Lengths:
    """Histograms, in `BIN`-character bins, of the user message (the whole request with its text) and the answer."""

    def __init__(self) -> None:
        self.instruction: Counter[int] = Counter()
        self.answer: Counter[int] = Counter()

    def add(self, record: Record) -> None:
        """Count one record's lengths."""
        self.instruction[len(message(record, "user")) // BIN] += 1
        self.answer[len(message(record, "assistant")) // BIN] += 1

    def merge(self, other: Lengths) -> None:
        """Add the histograms of `other` (of other records: counts merge in any order)."""
        self.instruction.update(other.instruction)
        self.answer.update(other.answer)

    def rows(self) -> list[dict[str, int]]:
        """One row per bin from 0 to the longest, empty bins included so the curve has no gaps."""
        top = max([*self.instruction, *self.answer], default=-1)
        return [{"chars": b * BIN, "instruction": self.instruction[b], "answer": self.answer[b]} for b in range(top + 1)]


def distribution(counts: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """Rows `{field, count}` from `corpus_metrics` counts, most frequent first (ties by name)."""
    items = counts.get(f"per_{field}", {}).items()
    return [{field: key, "count": n} for key, n in sorted(items, key=lambda kv: (-kv[1], kv[0]))]


def write_plots(folder: Path, counts: dict[str, Any], lengths: Lengths) -> list[Path]:
    """Write `<field>.csv` per distribution and `lengths.csv` atomically into `folder`; return the paths."""
    tables: dict[str, list[dict[str, Any]]] = {f: distribution(counts, f) for f in DISTRIBUTIONS}
    tables["lengths"] = lengths.rows()
    header = {f: [f, "count"] for f in DISTRIBUTIONS} | {"lengths": ["chars", "instruction", "answer"]}
    with atomic_dir(folder) as tmp:
        for name, rows in tables.items():
            with atomic_open(tmp / f"{name}.csv") as fh:
                writer = csv.DictWriter(fh, fieldnames=header[name], lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
    return [folder / f"{name}.csv" for name in tables]
