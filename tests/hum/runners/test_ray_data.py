"""Ray Data (issue 19): a step over JSON-lines files reads them as a Ray Data datasource and runs on `map_batches` actors,
and writes what the local runner writes: batches that span files, ids repeated across them, a bad line's error naming
its file and line, and a worker's error raised as itself, with nothing published.

The cluster is real: the package's Ray head on 127.0.0.1 (2 CPUs, see conftest.py).
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import pytest
import ray

from hum.decontaminate import Decontaminate
from hum.errors import HumInputError
from hum.io import dumps
from hum.parallel import WorkerTraceback
from hum.runners import Loads, Runner
from hum.runners.local import Local
from hum.runners.ray import Ray
from hum.runners.ray_data import LinesLoad, LoadsDatasource, planned
from hum.step import JsonLines, Step, Tasks, run_stage
from hum.tokens import ApproximateTokenizer
from hum.validate import Validate

DATA_ACTOR = "MapWorker(MapBatches(BatchActor))"  # how Ray names the actors of `map_batches(BatchActor)`


def data_actors(address: str) -> dict[str, int]:
    """How many actors of each kind the cluster has started so far (ended ones too)."""
    if not ray.is_initialized():
        ray.init(address=address, logging_level=logging.WARNING)
    from ray._private.state import actors  # noqa: PLC0415 - private: the one view of ended actors without a dashboard

    table = list(actors().values())
    return {kind: sum(a["ActorClassName"] == kind for a in table) for kind in (DATA_ACTOR, "Holder")}


def files(folder: Path, records: list[dict], cuts: tuple[int, ...]) -> list[Path]:
    """The records split at `cuts` into files, each with a blank line, the second opening with a byte-order mark."""
    bounds = [0, *cuts, len(records)]
    paths = []
    for n, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        lines = [dumps(r) + "\n" for r in records[lo:hi]]
        lines.insert(len(lines) // 2, "  \n")
        paths.append(folder / f"part{n}.jsonl")
        paths[-1].write_text(("\ufeff" if n == 1 else "") + "".join(lines), encoding="utf-8")
    return paths


def small_validate() -> Validate:
    """validate over batches of 500 records, which span the files of `files`."""
    step = Validate(8000, 4000, 2048, 1024, None, tokenizer=ApproximateTokenizer())
    step.batch_size = 500
    return step


def run(folder: Path, step: Step, source: JsonLines, runner: Runner, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """What a stage run writes: its folder's files and its metrics."""
    folder.mkdir()
    monkeypatch.chdir(folder)
    run_stage(step, source, folder / "out", "rejects.jsonl", {}, model=None, runner=runner)
    written = [*sorted((folder / "out").iterdir()), folder / f"metrics/{step.name}.json"]
    return {path.name: path.read_bytes() for path in written}


def test_batches_spanning_files_with_repeated_ids_are_the_local_bytes(project_generated, address, tmp_path, monkeypatch):
    records = [*project_generated, *project_generated[1200:1210]]  # ten ids again, in the last file
    paths = files(tmp_path, records, (700, 1550))  # batches of 500 cross both cuts
    local = run(tmp_path / "local", small_validate(), JsonLines(*paths), Local(2), monkeypatch)
    before = data_actors(address)  # after the local run: its workers are forks of this process, which Ray then joins
    on_ray = run(tmp_path / "ray", small_validate(), JsonLines(*paths), Ray(address=address), monkeypatch)
    after = data_actors(address)
    assert on_ray == local
    assert local["rejects.jsonl"].count(b'"reason":"duplicate id"') == 10
    assert after[DATA_ACTOR] - before[DATA_ACTOR] == 2, "the batches ran on Ray Data's actors, one per CPU"
    assert after["Holder"] == before["Holder"], "and on no actor of the runner's own pool"


@pytest.mark.parametrize("bad", [(b'{"id": "broken"\n', "malformed JSON"), (b"\xff\xfe\n", "not UTF-8 text")])
def test_a_bad_line_in_a_later_file_is_named_as_locally(project_generated, address, tmp_path, monkeypatch, bad):
    line, problem = bad
    paths = files(tmp_path, project_generated, (1000,))
    lines = paths[1].read_bytes().splitlines(keepends=True)
    paths[1].write_bytes(b"".join([*lines[:1100], line, *lines[1100:]]))  # line 1101 of the second file
    errors = []
    for runner in (Local(2), Ray(address=address)):
        folder = tmp_path / type(runner).__name__
        with pytest.raises(HumInputError) as raised:
            run(folder, small_validate(), JsonLines(*paths), runner, monkeypatch)
        assert list(folder.iterdir()) == [], "no output, no temporary folder, no metrics"
        errors.append(str(raised.value))
    assert errors[0] == errors[1]
    assert errors[1].startswith(f"{paths[1]}: line 1101: field '<")
    assert problem in errors[1]


def test_a_worker_error_on_ray_data_is_raised_as_itself(project_prepared, project_generated, address, tmp_path, monkeypatch):
    params, seeds = project_prepared
    path = tmp_path / "in.jsonl"
    lines = [dumps(r) + "\n" for r in project_generated]
    lines[2100] = '{"id": "no messages"}\n'  # valid JSON the step cannot read: its third batch fails
    path.write_text("".join(lines), encoding="utf-8")
    errors = []
    for runner in (Local(1), Ray(address=address)):
        folder = tmp_path / type(runner).__name__
        step = Decontaminate.from_config(seeds, params["decontaminate"])
        with pytest.raises(KeyError) as raised:
            run(folder, step, JsonLines(path), runner, monkeypatch)
        assert list(folder.iterdir()) == []
        errors.append(raised.value)
    assert errors[0].args == errors[1].args == ("messages",)
    assert isinstance(errors[1].__cause__, WorkerTraceback), "the actor's traceback is chained under it"
    assert "decontaminate" in str(errors[1].__cause__)


def test_read_tasks_of_local_files_stay_on_this_node(tmp_path, monkeypatch):
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text('{"id": "x"}\n{"id": "y"}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    loads, error = planned(JsonLines(Path("a.jsonl"), tmp_path / "b.jsonl"), Tasks([], None, None, 3))
    assert error is None
    assert not LoadsDatasource(loads).supports_distributed_reads, "another node cannot see the workspace"
    first = loads.loads[0]
    assert isinstance(first, LinesLoad)
    assert first.source.paths[0] == tmp_path / "a.jsonl", "a Ray worker's directory is not the stage's"
    assert [len(batch) for batch, _ in loads] == [3, 1], "a batch spans files"
    assert LoadsDatasource(Loads([], local=False)).supports_distributed_reads
