"""Runners (issue 19): the per-record stages on a Ray cluster write the bytes and metrics of the local runner, and a
worker's error under Ray keeps its class and message and publishes nothing.

The cluster is real: the package's Ray head on 127.0.0.1 (2 CPUs, see conftest.py).
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

import pytest
import ray
import yaml

from conftest import project_generation
from hum.decontaminate import Decontaminate
from hum.errors import HumInputError
from hum.io import dumps
from hum.parallel import WorkerError
from hum.prepare import train_files
from hum.runners import Loads, Runner, runner_of
from hum.runners.local import Local
from hum.runners.ray import ADDRESS_ENV, Ray
from hum.step import JsonLines, run_stage
from hum.tokens import tokenizer
from hum.validate import Validate
from runners.test_ray_data import DATA_ACTOR, data_actors

ROOT = Path(__file__).resolve().parents[3]
STAGES = {"generated": "rejects.jsonl", "decontaminated": "removed.jsonl", "validated": "quarantine.jsonl"}


def pipeline(folder: Path, prepared, runner: Runner) -> dict[str, bytes]:
    """generate -> decontaminate -> validate with `runner`, built as their stage scripts build them; what they publish.

    All three read JSON-lines files: on Ray, through Ray Data.
    """
    params, seeds = prepared
    folder.mkdir()
    with contextlib.chdir(folder):  # run_stage writes metrics/ under the working directory
        source, step = JsonLines(*train_files(seeds, exclude_task="general")), project_generation(prepared)
        run_stage(step, source, folder / "generated", STAGES["generated"], {}, model=None, runner=runner)
        step = Decontaminate.from_config(seeds, params["decontaminate"])
        source = JsonLines(folder / "generated/instructions.jsonl")
        run_stage(step, source, folder / "decontaminated", STAGES["decontaminated"], {}, model=None, runner=runner)
        step = Validate(**params["validate"], tokenizer=tokenizer(params["model"]))  # the GGUF vocabulary only
        source = JsonLines(folder / "decontaminated/instructions.jsonl")
        run_stage(step, source, folder / "validated", STAGES["validated"], {}, model=None, runner=runner)
    written = [path for part in [*STAGES, "metrics"] for path in sorted((folder / part).iterdir())]
    return {str(path.relative_to(folder)): path.read_bytes() for path in written}


def test_ray_writes_the_bytes_and_metrics_of_the_local_runner(project_prepared, address, tmp_path):
    local = pipeline(tmp_path / "local", project_prepared, Local(2))
    before = data_actors(address)
    on_ray = pipeline(tmp_path / "ray", project_prepared, Ray(address=address))
    after = data_actors(address)
    assert on_ray == local
    assert after[DATA_ACTOR] - before[DATA_ACTOR] == 3 * 2, "each stage ran on Ray Data's actors, one per CPU"
    assert after["Holder"] == before["Holder"], "and none on the runner's own actors"
    assert sorted(local) == sorted(
        [f"{stage}/{name}" for stage, rejects in STAGES.items() for name in ("instructions.jsonl", "manifest.json", rejects)]
        + [f"metrics/{name}.json" for name in ("generate", "decontaminate", "validate")]
    )
    kept = [local[f"{stage}/instructions.jsonl"].count(b"\n") for stage in STAGES]
    assert kept[0] > 2048, "every stage had several batches to hand out"
    assert kept[0] - kept[1] == local["decontaminated/removed.jsonl"].count(b"\n") > 0, "real contamination was found"


def test_a_worker_error_under_ray_keeps_its_message_and_publishes_nothing(
    project_prepared, project_generated, address, tmp_path, monkeypatch
):
    params, seeds = project_prepared
    kept = project_generated
    lines = [dumps(record) + "\n" for record in kept]  # over 2,048 lines: 3 batches of decontamination
    lines[2100] = '{"id": "broken"\n'
    (tmp_path / "in.jsonl").write_text("".join(lines))
    monkeypatch.setenv(ADDRESS_ENV, address)  # the address a cluster's jobs are given
    errors = []
    for runner in (Local(1), Ray()):
        folder = tmp_path / type(runner).__name__
        folder.mkdir()
        monkeypatch.chdir(folder)
        step = Decontaminate.from_config(seeds, params["decontaminate"])
        with pytest.raises(HumInputError) as raised:
            run_stage(step, JsonLines(tmp_path / "in.jsonl"), folder / "out", "removed.jsonl", {}, model=None, runner=runner)
        assert list(folder.iterdir()) == [], "no output, no temporary folder, no metrics"
        errors.append(raised.value)
    assert str(errors[0]) == str(errors[1])
    assert "line 2101" in str(errors[1])
    port = address.rpartition(":")[2]  # the head reports the address of its network interface, not 127.0.0.1
    assert ray.get_runtime_context().gcs_address.endswith(f":{port}"), "the job joined the cluster of $RAY_ADDRESS"


def test_each_runner_config_names_its_runner():
    configs = {path.stem: yaml.safe_load(path.read_text()) for path in sorted((ROOT / "conf/runner").glob("*.yaml"))}
    assert {name: runner_of(config) for name, config in configs.items()} == {"local": Local(), "ray": Ray()}
    assert runner_of(None) == Local(), "params without the runner group run locally"
    assert runner_of({"kind": "ray", "address": "10.0.0.1:6379", "actors": 4}) == Ray("10.0.0.1:6379", 4)
    with pytest.raises(ValueError, match=r"runner\.kind: 'spark' is not one of \['local', 'ray'\]"):
        runner_of({"kind": "spark"})
    with pytest.raises(ValueError, match=r"runner\.actors must be at least 1, got 0"):
        Ray(actors=0)


def test_the_runtime_env_of_the_config_reaches_every_actor(address):
    runner = runner_of({"kind": "ray", "address": address, "actors": 2, "runtime_env": {"env_vars": {"HUM_PROBE": "shipped"}}})
    with runner.pool(os.getenv) as pool:  # a function the actors find by name, run in their own environment
        assert list(pool.map(["HUM_PROBE"] * 4)) == ["shipped"] * 4
    assert os.getenv("HUM_PROBE") is None, "the variable was set for the actors, not here"


def test_loads_run_on_ray_data_in_order_and_an_actor_that_dies_is_a_worker_error(address):
    """Not a hang: Ray Data would start an actor that dies again and again, retrying its task for ever."""
    with Ray(address, actors=2).pool(int) as pool:  # work the actors find by name
        assert list(pool.map(Loads([functools.partial(str, n) for n in "31415"]))) == [3, 1, 4, 1, 5]
    with Ray(address).pool(os._exit) as pool:  # a process that dies on a task, as a segfault or the OOM killer ends it
        with pytest.raises(WorkerError, match="a Ray actor died before it handed back"):
            list(pool.map([1]))
        with pytest.raises(WorkerError, match="a Ray Data actor died 3 times before it handed back"):
            list(pool.map(Loads([functools.partial(int, "1")])))  # Ray Data starts it again, twice, then gives up
