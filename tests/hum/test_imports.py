"""Stage start-up (issue 18): a stage script loads only the heavy libraries its own work needs.

Each check runs in a fresh interpreter, as DVC runs a stage, and reads `sys.modules` there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

STAGES = Path(__file__).resolve().parents[2] / "stages"
HEAVY = ("datasets", "pandas", "pandera", "pyarrow")
# Decided per stage from what its code runs. Only `validate` works on pandas frames checked by pandera from its
# start (pandas loads pyarrow itself). Others load them when they do the work that needs them, not to start:
# `prepare` pandas and pandera at its first batch, `datasets` only for the loaders that read through it; step
# stages pandera for the record guard of `run_stage`; `mix` `datasets` to write Parquet.
AT_IMPORT: dict[str, set[str]] = {
    "decontaminate": set(),
    "dedup": set(),
    "evaluate": set(),
    "generalist": set(),
    "generate": set(),
    "mix": set(),
    "paraphrase": set(),
    "prepare": set(),
    "summary": set(),
    "validate": {"pandas", "pandera", "pyarrow"},
}


def heavy_loaded(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The heavy libraries in `sys.modules` after running `code` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(set({HEAVY!r}) & sys.modules.keys())))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_every_stage_has_a_decision():
    assert sorted(p.stem for p in STAGES.glob("*.py")) == sorted(AT_IMPORT)


@pytest.mark.parametrize("stage", sorted(AT_IMPORT))
def test_stage_imports_only_the_heavy_libraries_it_needs(stage):
    path = STAGES / f"{stage}.py"
    code = (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('stage_{stage}', {str(path)!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))"
    )
    assert heavy_loaded(code) == AT_IMPORT[stage]


def test_settings_know_loader_names_without_datasets():
    code = "from hum.settings import DATASET\nfrom hum.loaders import FILE_LOADERS, SPLIT_LOADERS\nassert 'hub' in SPLIT_LOADERS"
    assert heavy_loaded(code) == set()


def test_prepare_reads_jsonl_seeds_without_datasets(tmp_path):
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(json.dumps({"id": "a", "text": "Ann met Bob", "entities": []}) + "\n", encoding="utf-8")
    cfg = {"name": "toy", "task": "ner", "lang": "en", "loader": "jsonl", "train": str(seeds), "labels": ["PER"]}
    code = f"from hum.prepare import validated\nassert len(list(validated({cfg!r}, 'train', {{'PER'}}))) == 1"
    assert heavy_loaded(code) == {"pandas", "pandera", "pyarrow"}


def test_json_loader_loads_datasets_when_it_reads(tmp_path):
    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps([{"id": "a", "text": "Ann"}]), encoding="utf-8")
    code = (
        f"from hum.loaders import json_file\nassert [r for _, r in json_file({str(seeds)!r})] == [{{'id': 'a', 'text': 'Ann'}}]"
    )
    offline = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf-datasets"), "HF_HUB_OFFLINE": "1"}
    assert "datasets" in heavy_loaded(code, offline)
