"""Step stages on worker processes (issue 18): the same bytes and metrics for any number of workers, errors that
keep their message and publish nothing, and a bounded number of batches in flight."""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import pytest
from test_validate import record, validate

from conftest import wnut17_prepared
from hum.cores import WORKERS_ENV, available_cores, data_workers, llm_threads
from hum.errors import HumInputError
from hum.generate import Generate
from hum.io import read_jsonl
from hum.parallel import WorkerError, Workers
from hum.schemas import IdSet, id_key
from hum.step import JsonLines, StageError, Step, run_stage

FILES = ("instructions.jsonl", "rejects.jsonl", "manifest.json")


@pytest.fixture(scope="module")
def seeds_and_ctx(tmp_path_factory):
    return wnut17_prepared(tmp_path_factory, 60)


def outputs(folder: Path, step: Step, records, *, workers: int, capsys, monkeypatch) -> dict[str, object]:
    """Run a stage into `folder` (the working directory) and read back every file, the metrics and the summary line."""
    monkeypatch.chdir(folder)
    run_stage(step, records, folder / "out", "rejects.jsonl", {"p": 1}, model="fake:1", workers=workers)
    read = {name: (folder / "out" / name).read_bytes() for name in FILES}
    metrics = json.loads((folder / f"metrics/{step.name}.json").read_text())
    return {**read, "metrics": metrics, "summary": capsys.readouterr().out.splitlines()[-1]}


class Small(Generate):
    """Generate over batches of 7 seeds, so 60 seeds make 9 batches to share out."""

    batch_size = 7


@pytest.mark.parametrize("workers", [2, 3])
def test_generate_gives_the_same_bytes_and_metrics_on_any_number_of_workers(
    seeds_and_ctx, tmp_path, workers, capsys, monkeypatch
):
    seeds, ctx = seeds_and_ctx
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    one = outputs(tmp_path / "one", Small(ctx), seeds, workers=1, capsys=capsys, monkeypatch=monkeypatch)
    many = outputs(tmp_path / "many", Small(ctx), seeds, workers=workers, capsys=capsys, monkeypatch=monkeypatch)
    assert one == many
    assert one["metrics"]["in"] == len(seeds)
    assert one["metrics"]["out"] == len(one["instructions.jsonl"].splitlines())


class SmallValidate:
    """A Validate over batches of 3 records, some broken, one id repeated three batches later."""

    @staticmethod
    def step():
        step = validate()  # its tokenizer counts words
        step.batch_size = 3
        return step

    @staticmethod
    def records():
        short = {"answer": "person | Ann", "rules": ["dup:once"]}
        good = [record(f"r{i}", **(short if i in {3, 7} else {})) for i in range(14)]
        good[2]["messages"][-1]["content"] = "nope"  # answer does not parse back
        good[5]["meta"]["negative"] = "no"  # wrong kind
        good[11] = record("r1", answer="person | Ann", rules=["dup:once"])  # an id from the first batch
        return good


def test_validate_quarantines_and_measures_the_same_on_workers(tmp_path, monkeypatch):
    runs = {}
    for workers in (1, 2, 3):
        folder = tmp_path / str(workers)
        folder.mkdir()
        monkeypatch.chdir(folder)
        step = SmallValidate.step()
        step.max_reject_rate = None
        run_stage(step, SmallValidate.records(), folder / "out", "quarantine.jsonl", {}, model=None, workers=workers)
        runs[workers] = [(folder / "out" / name).read_bytes() for name in ("instructions.jsonl", "quarantine.jsonl")]
        runs[workers].append(json.loads((folder / "metrics/validate.json").read_text()))
    assert runs[1] == runs[2] == runs[3]
    quarantined = [json.loads(line) for line in runs[1][1].splitlines()]
    assert [(q["record"]["id"], q["reason"]) for q in quarantined] == [
        ("r2", "answer does not parse: lines: expected 2 fields per item"),
        ("r5", "meta.negative: is text, expected bool"),
        ("r1", "duplicate id"),
    ]
    assert runs[1][2]["tokens"] == {"user": {"max": 7, "mean": 7.0}, "answer": {"max": 6, "mean": 5.5}}
    assert runs[1][2]["in"] == 14
    assert runs[1][2]["out"] == 11


class Failing(Step):
    """Keeps every record, but raises `error` at the record with id `at`; batches of 4."""

    name = "failing"
    batch_size = 4

    def __init__(self, at: str, error: Exception) -> None:
        super().__init__()
        self.at, self.error = at, error

    def process(self, batch):
        if any(r["id"] == self.at for r in batch):
            raise self.error
        return batch


def failure(tmp_path: Path, step: Step, records, workers: int, monkeypatch) -> BaseException:
    """What a stage run raises, after checking it left no output and no metrics behind."""
    folder = tmp_path / str(workers)
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    with pytest.raises(Exception) as raised:
        run_stage(step, records, folder / "out", "rejects.jsonl", {}, model=None, workers=workers)
    assert sorted(p.name for p in folder.iterdir()) == []  # no output, no temporary, no metrics
    return raised.value


@pytest.mark.parametrize(
    "error",
    [
        HumInputError("data/x.jsonl", "line 9", "text", "not a string"),  # an __init__ that pickle cannot call back
        StageError("[failing] something is wrong with r9"),
    ],
)
def test_an_error_in_a_worker_reaches_the_parent_with_its_message_and_publishes_nothing(generated, tmp_path, error, monkeypatch):
    records = generated[:20]
    at = records[9]["id"]
    one, two = (failure(tmp_path, Failing(at, error), records, workers, monkeypatch) for workers in (1, 2))
    assert type(one) is type(two) is type(error)
    assert str(one) == str(two) == str(error)
    if isinstance(error, HumInputError):
        assert (two.path, two.where, two.field, two.problem) == ("data/x.jsonl", "line 9", "text", "not a string")


def test_a_broken_record_fails_the_guard_in_a_worker_with_the_same_message(generated, tmp_path, monkeypatch):
    records = copy.deepcopy(generated[:20])
    del records[13]["meta"]["lang"]
    records[17] = copy.deepcopy(records[2])  # a repeat of an id two batches earlier, in a batch after the broken one
    messages = [str(failure(tmp_path, Failing("none", ValueError()), records, w, monkeypatch)) for w in (1, 2, 3)]
    assert messages[0] == messages[1] == messages[2]
    assert messages[0] == (
        f"[failing] output breaks the record schema, nothing published: id {records[13]['id']!r}, meta.lang: missing"
    )


def test_a_repeated_id_across_batches_fails_the_guard_on_workers(generated, tmp_path, monkeypatch):
    records = [*generated[:10], generated[1]]
    message = str(failure(tmp_path, Failing("none", ValueError()), records, 2, monkeypatch))
    assert message.endswith(f"id {generated[1]['id']!r}, id: duplicate id")


@pytest.fixture(scope="module")
def generated(seeds_and_ctx):
    seeds, ctx = seeds_and_ctx
    kept, _ = Generate(ctx)(seeds)
    return kept


@pytest.mark.parametrize(
    ("line", "problem"), [(b"{not json\n", "malformed JSON"), (b"[1]\n", "expected a JSON object"), (b"\xff\n", "not UTF-8")]
)
def test_a_bad_line_of_a_json_lines_input_raises_as_read_jsonl_does(generated, tmp_path, line, problem, monkeypatch):
    path = tmp_path / "in.jsonl"
    good = [(json.dumps(r) + "\n").encode() for r in generated[:20]]
    path.write_bytes(b"".join([*good[:9], b"\n", line, *good[9:]]))  # a blank line, then the bad one: line 11
    with pytest.raises(HumInputError) as expected:
        list(read_jsonl(path))
    assert "line 11: field '<" in str(expected.value)
    assert problem in str(expected.value)
    for workers in (1, 2):
        for step in (Failing("none", ValueError()), SmallValidate.step()):  # unkeyed and keyed steps
            raised = failure(tmp_path / step.name, step, JsonLines(path), workers, monkeypatch)
            assert type(raised) is HumInputError
            assert str(raised) == str(expected.value)


@pytest.mark.parametrize(
    "line",
    [
        '{"id":"a","x":1}',
        '{"id":"a","id":"b"}',  # json.loads keeps the last
        '{"id":"a","\\u0069d":"b"}',  # a second id, escaped
        '{ "id": "a"}',
        '{"id":"a\\"b\\u00e9"}',
        '{"id":"a\\"b\\\\"}',  # escaped quote and backslash, read on the fast path
        '{"id":"a","text":"the \\"id\\" field"}',
        '{"id":5}',
        '{"x":1,"id":"z"}',
        '{"x":1}',
    ],
)
def test_ids_read_from_lines_are_those_of_the_parsed_records(line, tmp_path):
    heads = JsonLines(tmp_path / "in.jsonl").ids([(1, 0, line + "\n")])
    assert [id_key(h) for h in heads] == [id_key(json.loads(line))]


def test_json_lines_input_gives_the_bytes_of_records_input(generated, tmp_path, monkeypatch):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in generated[:20]))
    runs = []
    for source, workers in ((generated[:20], 1), (JsonLines(path), 1), (JsonLines(path), 3)):
        folder = tmp_path / f"{len(runs)}"
        folder.mkdir()
        monkeypatch.chdir(folder)
        run_stage(Failing("none", ValueError()), source, folder / "out", "rejects.jsonl", {}, model=None, workers=workers)
        runs.append([(folder / "out" / name).read_bytes() for name in FILES])
    assert runs[0] == runs[1] == runs[2]


def test_batches_in_flight_stay_bounded_with_a_slow_consumer():
    read, gaps = [0], []

    def items():
        for i in range(24):
            read[0] += 1
            yield i

    with Workers(lambda i: i * i, 2, ahead=3) as pool:
        for done, result in enumerate(pool.map(items()), start=1):
            gaps.append(read[0] - done)  # read from the input but not yet handed back, this one included
            time.sleep(0.01)
            assert result == (done - 1) ** 2
    assert max(gaps) == 2  # the one handed back is out of flight: at most `ahead` - 1 others wait
    assert len(gaps) == 24


def test_one_worker_starts_no_process():
    with Workers(lambda _: os.getpid(), 1) as pool:
        assert set(pool.map(range(5))) == {os.getpid()}


def test_workers_are_other_processes_and_a_dead_one_is_reported():
    with Workers(lambda _: os.getpid(), 2) as pool:
        assert os.getpid() not in set(pool.map(range(8)))

    def die(i):
        if i == 3:
            os._exit(9)
        return i

    with pytest.raises(WorkerError, match="exit code 9"), Workers(die, 2) as pool:
        list(pool.map(range(8)))


def test_input_errors_come_after_the_results_before_them():
    def items():
        yield from range(5)
        raise HumInputError("in.jsonl", "line 6", "<json>", "malformed JSON")

    got = []
    with pytest.raises(HumInputError, match="line 6"), Workers(lambda i: i, 2, ahead=8) as pool:
        got.extend(pool.map(items()))
    assert got == [0, 1, 2, 3, 4]


def test_id_set_matches_a_plain_set_across_merges(monkeypatch):
    monkeypatch.setattr(IdSet, "MERGE_EVERY", 5)
    ids, plain = IdSet(), set()
    keys = [f"d/{i % 37}#{i % 3}" for i in range(300)]
    for start in range(0, len(keys), 7):
        batch = keys[start : start + 7]
        expected = []
        for pos, key in enumerate(batch):
            if key in plain:
                expected.append(pos)
            plain.add(key)
        assert ids.repeated([{"id": key} for key in batch]) == expected


def test_workers_come_from_the_caller_then_the_environment_then_the_cores(monkeypatch):
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert data_workers() == available_cores() >= 1
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert data_workers() == 3
    assert data_workers(1) == 1
    monkeypatch.setenv(WORKERS_ENV, "two")
    with pytest.raises(ValueError, match="HUM_WORKERS must be a whole number"):
        data_workers()
    with pytest.raises(ValueError, match="at least 1"):
        data_workers(0)


def test_llm_threads_share_the_cores_out():
    cores = available_cores()
    assert llm_threads(1) == cores
    assert llm_threads(cores) == 1
    assert llm_threads(cores * 4) == 1
    assert llm_threads(2) * 2 <= max(cores, 2)


def test_a_result_that_cannot_cross_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="could not send its result"), Workers(lambda i: lambda: i, 2) as pool:
        list(pool.map(range(4)))
