"""The compact summary condenses the stages' metrics files: counts, weighted diversity, LLM yield, drops."""

from __future__ import annotations

import json
from pathlib import Path

from hum.summary import summarize


def task(records: int, gram: float, empty: float, guideline: float = 0.0) -> dict[str, float]:
    return {
        "records": records, "distinct 4-gram ratio": gram, "empty share": empty, "distinct rule combinations": 10,
        "distinct descriptions human/accepted": 5, "guideline share of labelled compound": guideline,
    }  # fmt: skip


def test_summary_of_a_build(tmp_path: Path) -> None:
    files = {
        "corpus": {"records": 40, "splits": {"train": 40, "validation": 2}, "per_task": {"ner": 30, "mrc": 10},
                   "per_format": {"json": 30, "lines": 10}},
        "diversity": {"ner": task(30, 0.2, 0.1, 0.5), "mrc": task(10, 0.6, 0.3), "general": task(5, 0.0, 0.0)},
        "paraphrase": {"yield": 0.25}, "dedup": {"in": 50, "out": 45}, "validate": {"in": 45, "out": 44},
        "eval": {"ner/score": 0.5, "ner/wnut17/entity_f1": 0.5, "overall/score": 0.5, "overall/records": 3},
    }  # fmt: skip
    for name, content in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(content))
    assert summarize(tmp_path) == {
        "records": 40, "4gram": 0.3, "descr": 10, "formats": 2, "rulesets": 20, "guided": 0.5, "empty": 0.15,
        "para_yield": 0.25, "gen_yield": 0.0, "dropped": 6, "eval": {"ner": 0.5, "overall": 0.5}, "tasks": {"mrc": 10, "ner": 30},
    }  # fmt: skip


def test_summary_of_nothing_is_zeros(tmp_path: Path) -> None:
    summary = summarize(tmp_path)
    assert summary["records"] == 0
    assert {summary[k] for k in ("4gram", "descr", "formats", "rulesets", "guided", "empty", "dropped")} == {0}
