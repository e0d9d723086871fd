"""`hum stats FOLDER`: what a corpus folder holds, per split, task, format, language and dataset, and its diversity."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hum.errors import HumInputError
from hum.io import read_jsonl
from hum.report import corpus_metrics

SHOWN = ("task", "format", "lang", "dataset")


def arguments(parser: argparse.ArgumentParser) -> None:
    """The folder: a corpus (`data/corpus`, or a `hum run` job's) or any folder of `<split>.jsonl` record files."""
    parser.add_argument("folder", type=Path, nargs="?", default=Path("data/corpus"), help="default: data/corpus")


def table(title: str, counts: dict[str, Any]) -> str:
    """A count table, largest first, with shares."""
    total = sum(counts.values()) or 1
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    width = max(len(k) for k, _ in rows)
    return "\n".join([title, *(f"  {k:<{width}}  {v:>7}  {v / total:6.1%}" for k, v in rows)])


def run(args: argparse.Namespace) -> int:
    """Print one block per split; a folder without record files, or a bad line, is an error naming it."""
    splits = sorted(args.folder.glob("*.jsonl"))
    if not splits:
        print(f"hum stats: {args.folder}: no <split>.jsonl files", file=sys.stderr)
        return 2
    for path in splits:
        try:
            counts, diversity = corpus_metrics(read_jsonl(path))
        except (HumInputError, KeyError, TypeError) as exc:
            print(f"hum stats: {path}: not a corpus of hum records ({exc})", file=sys.stderr)
            return 2
        print(f"{path.stem}: {counts['records']} records")
        for field in SHOWN:
            print(table(f" per {field}", counts[f"per_{field}"]))
        ratios = {task: d["distinct 4-gram ratio"] for task, d in diversity.items()}
        print(" distinct 4-gram ratio: " + ", ".join(f"{task} {r}" for task, r in sorted(ratios.items())))
    return 0
