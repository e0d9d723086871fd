"""The default pipeline through `dvc repro` with `runner=ray` writes, to the byte, what it writes with `runner=local`.

A scratch copy of the project runs every stage on its default config, its LLM stages on a deterministic stand-in model
(`fakes.replay.HashChat`, shipped to the actors through `runner.runtime_env`), first locally, then forced again against
the package's Ray head with the recorded replies removed, so that the model actors answer every call anew.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
import ray
import yaml

from dvcrun import dvc, environment, tree_digest
from hum.llm.config import ALLOW_ENV
from runners.test_ray_data import DATA_ACTOR

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
COPIED = (".dvcignore", "dvc.yaml", "stages", "src", "data/seeds", "data/templates", "data/guidelines")
FAKE = {"_target_": "fakes.replay.HashChat"}
BUILT = ("data", "metrics")


def actor_jobs(address: str) -> dict[str, int]:
    """How many jobs (stage processes) have started actors on the cluster: Ray Data's, the runner's own, model actors."""
    ray.init(address=address, logging_level=logging.WARNING)
    try:
        from ray._private.state import actors  # noqa: PLC0415 - private: the one view of ended actors without a dashboard

        table = list(actors().values())
    finally:
        ray.shutdown()
    return {kind: len({a["JobID"] for a in table if a["ActorClassName"] == kind}) for kind in (DATA_ACTOR, "Holder", "Host")}


def digests(project: Path) -> dict[str, str]:
    return {f"{part}/{name}": digest for part in BUILT for name, digest in tree_digest(project / part).items()}


def scratch(folder: Path, runner: dict[str, object]) -> Path:
    """The project's stages, code, seeds and params, its models the stand-in, on `runner`."""
    folder.mkdir()
    for name in COPIED:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, folder / name)
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["model"], params["evaluate"]["model"], params["runner"] = FAKE, FAKE, runner
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


def test_the_default_pipeline_on_ray_writes_what_it_writes_locally(address, tmp_path):
    logs = {"local": tmp_path / "local.log", "ray": tmp_path / "ray.log"}
    on_actors = {"PYTHONPATH": str(ROOT / "tests"), ALLOW_ENV: "fakes.", "HUM_FAKE_CHAT_LOG": str(logs["ray"])}
    ray = {"kind": "ray", "address": address, "actors": 2, "llm_actors": 1, "llm_cpus": 1, "runtime_env": {"env_vars": on_actors}}
    project = scratch(tmp_path / "project", {"kind": "local"})
    env = {**environment(), "HF_HUB_OFFLINE": "1"}
    env |= {"PYTHONPATH": str(ROOT / "tests"), ALLOW_ENV: "fakes.", "HUM_FAKE_CHAT_LOG": str(logs["local"])}
    dvc(project, "init", "--no-scm", "-q", env=env)
    dvc(project, "repro", env=env)
    local = digests(project)
    assert sum(1 for name in local if name.startswith("data/replies/")) == 3, "every LLM stage asked the model"

    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    (project / "params.yaml").write_text(yaml.safe_dump({**params, "runner": ray}, sort_keys=False), encoding="utf-8")
    for shard in (project / "data/replies").rglob("replies.jsonl"):
        shard.unlink()  # no reply to replay: the model actors answer every call
    built_here, before = logs["local"].read_text().count("build"), actor_jobs(address)
    dvc(project, "repro", "--force", env=env)
    assert digests(project) == local
    after = actor_jobs(address)
    assert after[DATA_ACTOR] - before[DATA_ACTOR] == 5, "generate, dedup, decontaminate, validate and mix ran on Ray Data"
    assert after["Holder"] - before["Holder"] == 1, "dedup's fuzzy pass ran on the runner's own actors"
    assert after["Host"] - before["Host"] == 3, "paraphrase, generalist and evaluate asked model actors"
    assert logs["local"].read_text().count("build") == built_here, "no model was built in the stages' own processes"
    assert logs["ray"].read_text().count("build") == 3, "each LLM stage built its model on one actor"
