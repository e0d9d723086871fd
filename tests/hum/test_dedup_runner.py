"""Dedup's per-record work on a runner (issues 18, 19): one process and two write the same bytes and metrics.

The records are real (what `generate` makes of the project's seeds) with duplicates planted anywhere in the stream,
some before their original: exact copies, near copies of the input, misspelt instructions and conflicting answers.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import numpy as np
import pytest
from test_dedup_stage import PARAMS

from hum.dedup import near, run_dedup
from hum.dedup.scan import text_loads
from hum.dedup.spill import Spill
from hum.dedup.work import BATCH, TEXTS, removal
from hum.errors import HumInputError
from hum.io import Record, dumps, read_jsonl
from hum.runners.local import Local
from hum.step import StageError

FILES = ("instructions.jsonl", "removed.jsonl", "conflicts.jsonl", "manifest.json")


def doubled(text: str, start: int, end: int, rng: random.Random) -> str | None:
    """`text` with one letter between start and end written twice (a misspelling), or None when there is none."""
    letters = [i for i in range(start, end) if text[i].isalpha()]
    if not letters:
        return None
    i = rng.choice(letters)
    return text[: i + 1] + text[i:]


def edited(record: Record, edit: int, rng: random.Random) -> Record:
    """A copy of a record: exact (0), another answer (1), a letter doubled in its input (2) or its instruction (3),
    or in its instruction with another answer (4: a near-instruction conflict, found by the fuzzy pass).
    """
    out = copy.deepcopy(record)
    user = next(m for m in out["messages"] if m["role"] == "user")
    start, end = out["meta"]["text_span"]
    if edit in {1, 4}:
        out["messages"][-1]["content"] += " (or not)"
        out["meta"]["gold"] = out["meta"]["gold"][:-1]  # a subset of the rows: `merge` can take the union
        out["meta"]["offsets"] = out["meta"]["offsets"][: len(out["meta"]["gold"])]
    if edit == 2 and (text := doubled(user["content"], start, end, rng)):
        user["content"], out["meta"]["text_span"] = text, [start, end + 1]
    elif edit in {3, 4} and (text := doubled(user["content"], end, len(user["content"]), rng)):
        user["content"] = text
    return out


def planted(records: list[Record], copies: int = 240, seed: int = 7) -> list[Record]:
    """The records with `copies` edited copies (each kind in turn) inserted at random places, under new ids."""
    rng, out = random.Random(seed), list(records)
    for k, original in enumerate(rng.sample(records, copies)):
        twin = edited(original, k % 5, rng)
        twin["id"] = f"{original['id']}~{k}"
        out.insert(rng.randrange(len(out) + 1), twin)
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, project_generated):
    """Two inputs: generated records with planted duplicates (over two batches of work), and a tenth of them again
    under other ids, as a second stage's output that repeats some of the first's."""
    folder = tmp_path_factory.mktemp("inputs")
    records = planted(project_generated)
    assert len(records) > 2 * BATCH
    second = [{**r, "id": f"{r['id']}@2"} for r in project_generated[::10]]
    for name, rows in (("generated.jsonl", records), ("second.jsonl", second)):
        (folder / name).write_text("".join(dumps(r) + "\n" for r in rows), encoding="utf-8")
    return [folder / "generated.jsonl", folder / "second.jsonl"]


def published(folder, inputs, name: str, workers: int, **params) -> dict[str, bytes]:
    """Every file `run_dedup` publishes on `workers` local processes, and its metrics."""
    out, metrics = folder / name, folder / f"{name}.json"
    run_dedup(inputs, out, {**PARAMS, **params}, model="sha256:m", metrics=metrics, runner=Local(workers))
    return {**{f: (out / f).read_bytes() for f in FILES}, "metrics": metrics.read_bytes()}


@pytest.mark.parametrize(("policy", "memory_mb"), [("merge", 256), ("keep_first", 0)])
def test_one_and_two_processes_write_the_same_bytes(inputs, tmp_path, policy, memory_mb):
    one = published(tmp_path, inputs, "one", 1, conflicts=policy, memory_mb=memory_mb)
    two = published(tmp_path, inputs, "two", 2, conflicts=policy, memory_mb=memory_mb)
    assert two == one
    metrics = json.loads(one["metrics"])
    assert metrics["in"] == len(list(read_jsonl(inputs[0]))) + len(list(read_jsonl(inputs[1])))
    reasons = {k.removeprefix("rejected: ") for k in metrics if k.startswith("rejected: ")}
    assert {"exact duplicate", "near-duplicate instruction over the same input", "conflicting answer"} <= reasons
    assert metrics["conflicts: same input, near instruction"] > 0, "the misspelt instructions with another answer"
    assert metrics["inputs: near copies"] > 9, "the copies with a doubled letter in their input, besides the real ones"
    assert metrics["in"] - metrics["out"] == one["removed.jsonl"].count(b"\n") >= 180
    if policy == "merge":
        assert metrics["conflict actions: merge"] > 0


def test_a_removal_line_is_the_dumps_of_its_dict():
    record = {"id": "a", "messages": [{"role": "user", "content": 'Ünïcode "quoted" \\ \n'}], "meta": {"x": [1.5, None]}}
    assert removal("b", "exact duplicate", dumps(record)) == dumps(
        {"record": record, "reason": "exact duplicate", "duplicate_of": "b"}
    )


def test_an_id_in_both_inputs_fails_the_stage_and_publishes_nothing(inputs, tmp_path):
    first = next(read_jsonl(inputs[0]))
    messages = [
        {"role": "user", "content": "Name three primary colours."},
        {"role": "assistant", "content": "Red, blue, yellow."},
    ]
    other = tmp_path / "other.jsonl"  # another record under the same id
    other.write_text(dumps({**first, "messages": messages, "meta": {**first["meta"], "text_span": None}}) + "\n")
    with pytest.raises(StageError, match=rf"\[dedup\] .*id {first['id']!r}, id: duplicate id"):
        run_dedup([inputs[0], other], tmp_path / "out", PARAMS, model=None, metrics=tmp_path / "m.json", runner=Local(2))
    assert not (tmp_path / "out").exists()


def test_a_malformed_line_in_a_later_batch_names_its_line_from_a_worker(inputs, tmp_path):
    lines = inputs[0].read_text(encoding="utf-8").splitlines(keepends=True)
    lines[BATCH + 5] = '{"id": "broken"\n'
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(HumInputError, match=rf"bad\.jsonl: line {BATCH + 6}\b"):
        run_dedup([bad], tmp_path / "out", PARAMS, model=None, metrics=tmp_path / "m.json", runner=Local(2))
    assert not (tmp_path / "out").exists()


def test_the_fuzzy_pass_on_workers_marks_what_this_process_marks_with_every_cluster_set_aside(inputs, tmp_path, monkeypatch):
    """Whole clusters in many small tasks on two workers, against every cluster set aside and checked here (no memory)."""
    made = []
    task = near.Gathered.task
    monkeypatch.setattr(near, "CLUSTER_RECORDS", 5)
    monkeypatch.setattr(near.Gathered, "task", lambda self, threshold: made.append(len(self.done)) or task(self, threshold))
    here = published(tmp_path, inputs, "here", 1, conflicts="drop_both", memory_mb=0)
    assert not made, "with no memory every cluster is set aside: checked in this process, reading the spill"
    workers = published(tmp_path, inputs, "workers", 2, conflicts="drop_both")
    assert len(made) > 10
    assert all(workers[f] == here[f] for f in ("instructions.jsonl", "removed.jsonl", "conflicts.jsonl", "metrics"))
    assert json.loads(here["metrics"])["conflicts: same input, near instruction"] > 0


def test_band_key_tasks_are_loads_that_read_their_texts_from_the_spill(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    texts = ["", *(f"text {i} é " * (i % 7) for i in range(3 * TEXTS))]  # every seventh empty, non-ASCII ones
    hashed = np.array([bool(text) and i % 5 != 0 for i, text in enumerate(texts)])  # some repeated ids: not hashed
    with Spill(Path("inputs.spill"), 1) as spill:
        entries = np.array([spill.add(text) for text in texts], dtype=np.int64)
        loads = text_loads(spill, entries, hashed)  # read before the spill is closed: the loads see what was added
        tasks = list(loads)
    assert loads.local, "the spill is on this machine only"
    assert all(load.path == tmp_path / "inputs.spill" for load in loads.loads), "a Ray read task runs in another folder"
    assert [len(task.texts) for task in tasks] == [TEXTS, TEXTS, int(hashed.sum()) - 2 * TEXTS], "the texts hashed in order"
    assert [text for task in tasks for text in task.texts] == [text for text, h in zip(texts, hashed, strict=True) if h]
