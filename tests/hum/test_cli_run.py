"""`hum run` composes and sweeps like `dvc exp run -S` / Hydra `-m` into job folders; `hum stats` reads a corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hum.cli.run import job_name, jobs, plan
from hum.io import write_jsonl
from hum.records import meta_record


def hum(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hum", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_sweeps_expand_to_the_product_of_their_values() -> None:
    assert jobs(["seed=1"], multirun=False) == [["seed=1"]]
    assert jobs(["a.b=1,2", "model=gguf", "c=range(0,2)"], multirun=True) == [
        ["a.b=1", "model=gguf", "c=0"], ["a.b=1", "model=gguf", "c=1"],
        ["a.b=2", "model=gguf", "c=0"], ["a.b=2", "model=gguf", "c=1"],
    ]  # fmt: skip
    assert jobs(["generate.formats=[json,lines]"], multirun=True) == [["generate.formats=[json,lines]"]], "a list is a value"
    assert jobs([], multirun=True) == [[]]
    with pytest.raises(ValueError, match=r"'a=1,2' is a sweep: add -m"):
        jobs(["a=1,2"], multirun=False)
    assert job_name(["seed=2", "model=gguf"]) == "model=gguf,seed=2"
    assert job_name([]) == "default"


def test_plan_keeps_what_the_skipped_stages_made(root: Path) -> None:
    order, kept = plan(root, ["generate", "prepare"])
    assert order == ["prepare", "generate"], "dvc.yaml's order, whatever the order asked"
    assert {"data/pool", "data/replies/paraphrase/replies.jsonl", "metrics/summary.json"} <= set(kept)
    assert "data/prepared" not in kept
    with pytest.raises(ValueError, match="unknown stage nope; the stages are: prepare, paraphrase"):
        plan(root, ["nope"])


def test_multirun_writes_one_job_folder_per_value(root: Path, tmp_path: Path) -> None:
    before = (root / "params.yaml").read_bytes()
    done = hum("run", "prepare", "-m", "-S", "prepare.max_records=3,4", "--out", str(tmp_path), cwd=root)
    assert done.returncode == 0, done.stderr
    assert "[run] 2 job(s) of 1 stage(s) done" in done.stdout
    for n in (3, 4):
        job = tmp_path / f"prepare.max_records={n}"
        assert yaml.safe_load((job / "params.yaml").read_text())["prepare"]["max_records"] == n
        manifest = json.loads((job / "data/prepared/manifest.json").read_text())
        assert manifest["params"]["prepare"]["max_records"] == n
        assert all(c["train"] <= n for c in manifest["counts"].values())
    assert (root / "params.yaml").read_bytes() == before, "the project's own params are not touched"
    refused = hum("run", "-S", "prepare.max_records=3,4", "--out", str(tmp_path), cwd=root)
    assert refused.returncode == 2
    assert "add -m" in refused.stderr


def test_stats_of_a_corpus_folder(tmp_path: Path) -> None:
    def record(i: int, task: str, fmt: str) -> dict[str, object]:
        meta = meta_record(task=task, subtask="x", dataset="toy", seed_id=str(i), lang="en", kind="basic", format=fmt)
        return {"id": str(i), "messages": [{"role": "user", "content": f"q {i}"}, {"role": "assistant", "content": "a"}],
                "meta": meta}  # fmt: skip

    write_jsonl(tmp_path / "train.jsonl", [record(1, "general", "text"), record(2, "general", "text"), record(3, "cls", "json")])
    done = hum("stats", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "train: 3 records" in done.stdout
    assert "  text        2   66.7%" in done.stdout
    assert "  general        2   66.7%" in done.stdout
    assert hum("stats", str(tmp_path / "none"), cwd=tmp_path).returncode == 2


def test_help_lists_run_and_stats(root: Path) -> None:
    done = hum("--help", cwd=root)
    for command in ("run", "stats", "review", "guidelines"):
        assert f"\n    {command} " in done.stdout or f"\n    {command}\n" in done.stdout
