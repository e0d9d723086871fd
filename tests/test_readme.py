"""The README's promises that code can check: the minimal seed row of every task prepares as shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hum.io import write_jsonl
from hum.normalise import NORMALISERS
from hum.prepare import prepare_dataset

PARAMS = {"max_records": 10, "eval_fraction": 0.0, "on_error": "raise", "max_text_chars": 8000}


def minimal_rows(readme: str) -> dict[str, dict[str, object]]:
    """Task -> the example row of the README's table of fields."""
    section = readme.split("### The fields each task needs", 1)[1].split("\n#", 1)[0]
    return {m[1]: json.loads(m[2]) for m in re.finditer(r"^\| `(\w+)` \|.*\| `(\{.*\})` \|$", section, re.MULTILINE)}


def test_every_task_has_a_minimal_row_that_prepares(root: Path, tmp_path: Path) -> None:
    rows = minimal_rows((root / "README.md").read_text(encoding="utf-8"))
    assert set(rows) == set(NORMALISERS)
    for task, row in rows.items():
        write_jsonl(tmp_path / f"{task}.jsonl", [row])
        cfg = {"name": task, "task": task, "lang": "en", "loader": "jsonl", "train": str(tmp_path / f"{task}.jsonl")}
        assert prepare_dataset(cfg, PARAMS, 13, tmp_path)["train"] == 1, task
