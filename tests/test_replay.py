"""Recorded LLM replies travel with the corpus: after `dvc push` / `dvc pull`, a rebuild elsewhere asks no model.

Runs the real DVC pipeline (prepare, paraphrase, generalist) on a tiny config with a deterministic fake model;
the clone's model raises on any call, standing in for a machine whose llama.cpp would answer differently.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from dvcrun import dvc, run, tree_digest
from dvcrun import environment as venv_environment

pytestmark = pytest.mark.slow
COPIED = (".dvcignore", ".gitignore", "dvc.yaml", "stages", "src", "data/seeds", "data/templates", "data/guidelines")
TINY = {
    "prepare": {"max_records": 3},
    "paraphrase": {"per_subtask": 1, "attempts": 1},
    "generalist": {"per_dataset": 2, "attempts": 2},
}
LLM_STAGES = ("paraphrase", "generalist")
OUTPUTS = ("pool", "generalist", "replies")


def environment(root: Path, log: Path, *, refuse: bool = False) -> dict[str, str]:
    env = {
        **venv_environment(),
        "PYTHONPATH": str(root / "tests"),
        "HUM_FAKE_CHAT_LOG": str(log),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("HUM_FAKE_CHAT_REFUSE", None)
    return {**env, "HUM_FAKE_CHAT_REFUSE": "1"} if refuse else env


def outputs(project: Path) -> dict[str, dict[str, str]]:
    return {name: tree_digest(project / "data" / name) for name in OUTPUTS}


def metrics(project: Path, stage: str) -> dict[str, int]:
    return json.loads((project / f".hum/calls/{stage}.json").read_text())


def locked_outputs(project: Path) -> dict[str, object]:
    """dvc.lock without the metrics' hashes."""
    lock = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    return {name: [o for o in stage.get("outs", []) if not o["path"].startswith("metrics/")] for name, stage in lock.items()}


def log_lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_pulled_replies_rebuild_the_same_bytes_without_a_model_call(root: Path, tmp_path: Path) -> None:
    origin, remote = tmp_path / "origin", tmp_path / "remote"
    origin.mkdir()
    for name in COPIED:
        src = root / name
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
        shutil.copytree(src, origin / name, ignore=ignore) if src.is_dir() else shutil.copy(src, origin / name)
    params = yaml.safe_load((root / "params.yaml").read_text())
    for group, values in TINY.items():
        params[group].update(values)
    params["model"] = {"_target_": "fakes.replay.HashChat"}
    (origin / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    log = tmp_path / "origin.log"
    env = environment(root, log)
    run(origin, "git", "init", "-q", env=env)
    run(origin, "git", "config", "user.email", "ci@hum.invalid", env=env)
    run(origin, "git", "config", "user.name", "hum ci", env=env)
    dvc(origin, "init", "-q", env=env)
    dvc(origin, "remote", "add", "-d", "local", str(remote), env=env)
    dvc(origin, "repro", *LLM_STAGES, env=env)
    calls = {stage: metrics(origin, stage) for stage in LLM_STAGES}
    assert all(c["llm_calls"] > 0 and c["replayed"] == 0 for c in calls.values()), calls
    assert log_lines(log).count("build") == 2
    assert sum(line.startswith("call ") for line in log_lines(log)) == sum(c["llm_calls"] for c in calls.values())
    for stage in LLM_STAGES:
        shard = origin / f"data/replies/{stage}/replies.jsonl"
        assert len(shard.read_text().splitlines()) == calls[stage]["llm_calls"]
    dvc(origin, "push", env=env)
    run(origin, "git", "add", "-A", env=env)
    run(origin, "git", "commit", "-qm", "tiny build with recorded replies", env=env)
    built, locked = outputs(origin), locked_outputs(origin)

    # A second run on the same machine replays everything: no call, no model even built, the same bytes.
    log.unlink()
    dvc(origin, "repro", "--force", "--single-item", *LLM_STAGES, env=env)
    assert log_lines(log) == []
    assert {stage: metrics(origin, stage) for stage in LLM_STAGES} == {
        stage: {"llm_calls": 0, "replayed": c["llm_calls"]} for stage, c in calls.items()
    }
    assert outputs(origin) == built
    assert locked_outputs(origin) == locked
    assert run(origin, "git", "status", "--porcelain", "--", "dvc.lock", "metrics", env=env) == ""  # the same lock, to the byte
    assert run(origin, "git", "status", "--porcelain", "--", "data", env=env) == ""

    # Another machine: a fresh clone and `dvc pull`; its model raises on any call.
    clone, clone_log = tmp_path / "clone", tmp_path / "clone.log"
    env = environment(root, clone_log, refuse=True)
    run(tmp_path, "git", "clone", "-q", str(origin), str(clone), env=env)
    dvc(clone, "pull", "prepare", *LLM_STAGES, env=env)
    assert outputs(clone) == built
    dvc(clone, "repro", "--force", "--single-item", *LLM_STAGES, env=env)
    assert log_lines(clone_log) == []
    assert outputs(clone) == built
    assert {stage: metrics(clone, stage)["llm_calls"] for stage in LLM_STAGES} == dict.fromkeys(LLM_STAGES, 0)
    assert "up to date" in dvc(clone, "status", "prepare", *LLM_STAGES, env=env)
