from __future__ import annotations

import copy
import itertools
import json
import re

import pytest

from conftest import wnut17_prepared
from hum.generate import Generate
from hum.io import dumps, read_jsonl
from hum.prepare import train_files, train_records
from hum.records import META
from hum.runners.local import Local
from hum.schemas import META_KINDS, RecordCheck
from hum.step import LINE_BITS, JsonLines, StageError, Step, run_stage


@pytest.fixture(scope="module")
def seeds_and_ctx(tmp_path_factory):
    return wnut17_prepared(tmp_path_factory, 30)


@pytest.fixture(scope="module")
def generated(seeds_and_ctx):
    seeds, ctx = seeds_and_ctx
    kept, _ = Generate(ctx)(seeds)
    return kept


class Replay(Step):
    """A step that outputs given records (a stage with a bug, when they are broken); rejects the ids in `drop`."""

    name = "replay"

    def __init__(self, records, drop=(), max_reject_rate=None):
        super().__init__()
        self.records, self.drop, self.max_reject_rate = records, set(drop), max_reject_rate

    def process(self, batch):
        for rec in batch:
            if rec["id"] in self.drop:
                self.reject(rec, "dropped on purpose")
        return [r for r in batch if r["id"] not in self.drop]


def run(step, records, tmp_path):
    run_stage(step, records, tmp_path / "out", "rejects.jsonl", {"p": 1}, model="fake:1")


def test_meta_kinds_cover_every_meta_field():
    assert set(META_KINDS) == set(META)


def test_generate_output_passes_and_is_published(seeds_and_ctx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seeds, ctx = seeds_and_ctx
    run(Generate(ctx), seeds, tmp_path)
    written = (tmp_path / "out/instructions.jsonl").read_text().splitlines()
    assert len(written) > len(seeds)
    assert json.loads((tmp_path / "metrics/generate.json").read_text())["out"] == len(written)


def break_meta_field(rec):
    del rec["meta"]["lang"]
    return "meta.lang: missing"


def break_roles(rec):
    rec["messages"].reverse()
    return "messages: messages are not (system,) user, assistant"


def break_text_span(rec):
    rec["meta"]["text_span"] = [0, len(rec["messages"][-2]["content"]) + 1]
    return "meta.text_span: ends beyond the user message"


def break_span_order(rec):
    rec["meta"]["text_span"] = [5, 2]
    return "meta.text_span: ends before it starts"


def break_span_kind(rec):
    rec["meta"]["text_span"] = "0:5"
    return "meta.text_span: is text, expected span"


def break_meta_kind(rec):
    rec["meta"]["negative"] = 0
    return "meta.negative: is int, expected bool"


def add_unknown_field(rec):
    rec["meta"]["score"] = 0.5
    return "meta: fields not in hum.records.META: score"


def empty_answer(rec):
    rec["messages"][-1]["content"] = " "
    return "messages.assistant: answer is empty"


def non_text_content(rec):
    rec["messages"][-1]["content"] = ["person"]
    return "messages: a message is not an object with text content; id {id}, messages.assistant: answer is empty"


@pytest.mark.parametrize(
    "breaks",
    [
        break_meta_field, break_roles, break_text_span, break_span_order, break_span_kind, break_meta_kind,
        add_unknown_field, empty_answer, non_text_content,
    ],
)  # fmt: skip
def test_a_broken_record_fails_the_stage_naming_id_and_field(generated, breaks, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records = copy.deepcopy(generated)
    expected = breaks(records[3]).replace("{id}", repr(records[3]["id"]))
    with pytest.raises(StageError) as failed:
        run(Replay(records), records, tmp_path)
    message = str(failed.value)
    assert message.startswith(f"[replay] output breaks the record schema, nothing published: id {records[3]['id']!r}, ")
    assert f"id {records[3]['id']!r}, {expected}" in message
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "metrics").exists()


def test_duplicate_id_fails_and_keeps_the_previous_output(generated, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out/instructions.jsonl").write_text("previous\n")
    records = [*generated[:5], generated[2]]
    with pytest.raises(StageError, match=re.escape(f"id {generated[2]['id']!r}, id: duplicate id")):
        run(Replay(records), records, tmp_path)
    assert (tmp_path / "out/instructions.jsonl").read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left behind


def test_duplicate_id_across_batches_and_every_problem_reported(generated):
    check = RecordCheck()
    assert check(generated[:4]) == []
    again = copy.deepcopy(generated[3])
    del again["meta"]["gold"]
    assert check([again]) == [(repr(again["id"]), "id", "duplicate id"), (repr(again["id"]), "meta.gold", "missing")]


def test_reject_rate_guard_is_opt_in_per_step(generated, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records, drop = generated[:10], [generated[0]["id"], generated[1]["id"]]
    run(Replay(records, drop), records, tmp_path)  # no limit configured: 20% rejected is published
    assert len((tmp_path / "out/rejects.jsonl").read_text().splitlines()) == 2
    run(Replay(records, drop, max_reject_rate=0.2), records, tmp_path)  # at the limit: still fine
    with pytest.raises(StageError) as failed:
        run(Replay(records, drop, max_reject_rate=0.1), records, tmp_path)
    assert str(failed.value) == (
        "[replay] rejected 2 of 10 records (20.00%), over replay.max_reject_rate = 10.00%; nothing published. "
        "Top reasons: dropped on purpose: 2"
    )


def json_files(folder, records, cuts):
    """The records split at `cuts` into files with blank lines, the second opening with a byte-order mark."""
    bounds = [0, *cuts, len(records)]
    paths = [folder / f"part{n}.jsonl" for n in range(len(bounds) - 1)]
    for n, (path, (lo, hi)) in enumerate(zip(paths, itertools.pairwise(bounds), strict=True)):
        lines = ["\n", *(dumps(r) + "\n" for r in records[lo:hi]), " \t\n"]
        path.write_text(("\ufeff" if n == 1 else "") + "".join(lines), encoding="utf-8")
    return paths


def test_json_lines_over_files_are_one_stream_that_resumes_anywhere(generated, tmp_path):
    paths = json_files(tmp_path, generated[:30], (10, 11))  # a file of one record in the middle
    source = JsonLines(*paths)
    located = list(source.located())
    assert source.parse(located) == generated[:30]
    assert [source.where(n) for n, _, _ in located[9:12]] == [(paths[0], 11), (paths[1], 2), (paths[2], 2)]
    assert located[0][0] == 2, "one file's numbers are its line numbers"
    assert located[10][0] == 1 << LINE_BITS | 2
    for at, (number, offset, _) in enumerate(located):  # where a read task of Ray Data starts a batch
        assert list(source.located((number, offset))) == located[at:]


def test_json_lines_over_files_write_the_bytes_of_their_records(generated, tmp_path, monkeypatch):
    paths = json_files(tmp_path, generated[:30], (10, 11))
    runs = []
    for records, runner in ((generated[:30], Local(1)), (JsonLines(*paths), Local(1)), (JsonLines(*paths), Local(3))):
        folder = tmp_path / f"run{len(runs)}"
        folder.mkdir()
        monkeypatch.chdir(folder)
        step = Replay([], drop=[generated[10]["id"]])
        step.batch_size = 4  # batches span the files
        run_stage(step, records, folder / "out", "rejects.jsonl", {}, model=None, runner=runner)
        runs.append([(folder / "out" / name).read_bytes() for name in ("instructions.jsonl", "rejects.jsonl")])
    assert runs[0] == runs[1] == runs[2]


def test_the_prepared_files_generate_reads_hold_the_seed_records(project_prepared):
    _, folder = project_prepared
    chosen = train_files(folder, "general")
    every = sorted(folder.glob("*.train.jsonl"))
    source = JsonLines(*chosen)
    by_record = [r for path in every for r in read_jsonl(path) if r["task"] != "general"]  # how generate chose them
    assert source.parse(list(source.located())) == by_record == list(train_records(folder, "general"))
    assert [p.name for p in every if p not in chosen] == ["self_instruct.train.jsonl"]
