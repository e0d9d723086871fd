"""A build in a dozen numbers: what `dvc exp show` compares first, so experiments read side by side at 120 columns.

The stages' own metrics files stay in `metrics/` for whoever opens them; this one condenses them into records,
per-task counts, diversity, LLM yield, what the filters dropped and the evaluation's headline scores.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ANNOTATION = ("ner", "re", "ee", "cls", "mrc", "oie")  # the task families whose instructions are rendered from gold
LABELLED = ("ner", "re", "ee", "cls")  # ... whose instructions may state label guidelines
FILTERS = ("dedup", "decontaminate", "validate")


def _read(folder: Path, name: str) -> dict[str, Any]:
    path = folder / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _mean(per_task: dict[str, dict[str, Any]], key: str, tasks: tuple[str, ...]) -> float:
    """The mean of a per-task diversity figure, weighted by each task's records."""
    found = [(per_task[t]["records"], per_task[t][key]) for t in tasks if t in per_task]
    total = sum(n for n, _ in found)
    return round(sum(n * v for n, v in found) / total, 3) if total else 0.0


def diversity(per_task: dict[str, dict[str, Any]], formats: int) -> dict[str, Any]:
    """Diversity over the annotation tasks: n-gram variety, descriptions, formats, rule sets, guidelines, empties."""
    tasks = tuple(t for t in ANNOTATION if t in per_task)
    return {
        "4gram": _mean(per_task, "distinct 4-gram ratio", tasks),
        "descr": sum(v for t in tasks for k, v in per_task[t].items() if k.startswith("distinct descriptions")),
        "formats": formats,
        "rulesets": sum(per_task[t]["distinct rule combinations"] for t in tasks),
        "guided": _mean(per_task, "guideline share of labelled compound", tuple(t for t in LABELLED if t in tasks)),
        "empty": _mean(per_task, "empty share", tasks),
    }


def dropped(folder: Path) -> int:
    """Records the filtering stages removed (in minus out, summed)."""
    counts = [_read(folder, stage) for stage in FILTERS]
    return sum(int(c.get("in", 0)) - int(c.get("out", 0)) for c in counts)


def scores(report: dict[str, Any]) -> dict[str, float]:
    """The headline score of each task and overall from `metrics/eval.json` (`hum.evaluation.report`)."""
    return {key.removesuffix("/score"): value for key, value in sorted(report.items()) if key.endswith("/score")}


def summarize(folder: Path) -> dict[str, Any]:
    """The compact summary of the metrics files in `folder` (a missing file counts as nothing).

    Flat, short keys first, so each is one narrow column of `dvc exp show`; per-task counts and scores are nested.
    """
    corpus = _read(folder, "corpus")
    return {
        "records": corpus.get("records", 0),
        **diversity(_read(folder, "diversity"), len(corpus.get("per_format", {}))),
        "para_yield": _read(folder, "paraphrase").get("yield", 0.0),
        "gen_yield": _read(folder, "generalist").get("yield", 0.0),
        "dropped": dropped(folder),
        "eval": scores(_read(folder, "eval")),
        "tasks": dict(sorted(corpus.get("per_task", {}).items())),
    }
