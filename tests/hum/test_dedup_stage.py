from __future__ import annotations

import json

import pytest
from test_dedup import PASSAGE, QUESTIONS, qa, record

from hum.dedup import FileSource, near, run_dedup
from hum.dedup import spill as spill_module
from hum.dedup.lsh import InputIndex
from hum.dedup.spill import Spill, decoded
from hum.errors import HumInputError
from hum.io import dumps, read_jsonl

PARAMS = {"threshold": 95, "input_threshold": 90, "shingle": 5, "num_perm": 128, "bands": 32, "rows": 4}


def write(path, records, blank=False):
    path.write_text("".join(dumps(r) + "\n" + ("\n" if blank else "") for r in records), encoding="utf-8")
    return path


@pytest.fixture
def inputs(tmp_path):
    copy = PASSAGE.replace("ranking sixth", "ranked sixth")
    generated = [qa(f"g{i}", q, a) for i, (q, a) in enumerate(QUESTIONS[:6])]
    generated += [record("n1"), record("n2", ask="List every entity of type persons."), record("n3", answer="[]")]
    generalist = [qa("x0", *QUESTIONS[0], text=copy, dataset="d2"), qa("x1", *QUESTIONS[1]), record("n4", answer="[]")]
    return [write(tmp_path / "generated.jsonl", generated, blank=True), write(tmp_path / "generalist.jsonl", generalist)]


def stage(tmp_path, inputs, name, policy="keep_first"):
    out, metrics = tmp_path / name, tmp_path / f"{name}.metrics.json"
    run_dedup(inputs, out, {**PARAMS, "conflicts": policy}, model="sha256:m", metrics=metrics)
    return out, json.loads(metrics.read_text())


def test_stage_writes_kept_removed_conflicts_manifest_and_metrics(tmp_path, inputs, capsys):
    out, metrics = stage(tmp_path, inputs, "deduped")
    assert sorted(p.name for p in out.iterdir()) == ["conflicts.jsonl", "instructions.jsonl", "manifest.json", "removed.jsonl"]
    kept = [r["id"] for r in read_jsonl(out / "instructions.jsonl")]
    assert kept == ["g0", "g1", "g2", "g3", "g4", "g5", "n1"]
    removed = {r["record"]["id"]: (r["reason"], r["duplicate_of"]) for r in read_jsonl(out / "removed.jsonl")}
    assert removed == {
        "n2": ("near-duplicate instruction over the same input", "n1"),
        "n3": ("conflicting answer", "n1"),
        "x0": ("near-duplicate input and instruction", "g0"),
        "x1": ("exact duplicate", "g1"),
        "n4": ("exact duplicate", "n3"),
    }
    conflicts = list(read_jsonl(out / "conflicts.jsonl"))
    assert [(c["ids"], c["answers"], c["action"]) for c in conflicts] == [
        (["n1", "n3"], ['["Taylor Swift"]', "[]"], "keep_first")
    ]
    assert metrics == {
        "in": 12, "out": 7, "inputs: distinct": 3, "inputs: near copies": 1,
        "rejected: exact duplicate": 2, "rejected: near-duplicate instruction over the same input": 1,
        "rejected: near-duplicate input and instruction": 1, "rejected: conflicting answer": 1,
        "conflicts: same user message": 1, "conflict actions: keep_first": 1,
    }  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["params"] == {"dedup": {**PARAMS, "conflicts": "keep_first"}}
    assert manifest["counts"] == metrics
    assert manifest["model"] == "sha256:m"
    assert "[dedup] 12 in, 7 out, 5 rejected" in capsys.readouterr().out


def test_same_inputs_give_the_same_bytes(tmp_path, inputs):
    first, _ = stage(tmp_path, inputs, "one", "merge")
    second, _ = stage(tmp_path, inputs, "two", "merge")
    for name in ("instructions.jsonl", "removed.jsonl", "conflicts.jsonl", "manifest.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_file_source_reads_records_back_by_location(tmp_path, inputs):
    source = FileSource(inputs)
    items = [item for batch in source.tasks(list, 5) for item in batch]  # batches of lines that span the files
    records = source.parse(items)
    assert len(records) == 12, "blank lines are no records"
    assert [r["id"] for r in records] == [r["id"] for path in inputs for r in read_jsonl(path)]
    assert [source.at(source.location(item)) for item in items] == records


def test_a_malformed_line_names_its_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(dumps(record("a")) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(HumInputError, match=r"bad\.jsonl: line 2"):
        run_dedup([bad], tmp_path / "out", PARAMS, model=None, metrics=tmp_path / "m.json")
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_a_tiny_memory_bound_spills_and_writes_the_same_bytes(tmp_path, inputs, monkeypatch):
    """memory_mb=0: every open cluster is set aside on disk and the input-key map starts afresh at each new input."""
    set_aside, repeated = [], []
    real_deferred, real_drop = near._deferred, InputIndex.drop

    def deferred(plan, rows, fuzzy):
        set_aside.append(len(rows))
        real_deferred(plan, rows, fuzzy)

    def drop(self, ids):
        repeated.append(len(ids))
        real_drop(self, ids)

    monkeypatch.setattr(near, "_deferred", deferred)
    monkeypatch.setattr(InputIndex, "drop", drop)
    unbounded, metrics = stage(tmp_path, inputs, "unbounded", "merge")
    assert set_aside == [0]
    assert repeated == [0]
    out, spilled_metrics = tmp_path / "bounded", tmp_path / "bounded.metrics.json"
    run_dedup(inputs, out, {**PARAMS, "conflicts": "merge", "memory_mb": 0}, model="sha256:m", metrics=spilled_metrics)
    assert set_aside[1] >= 8  # every record the fuzzy pass compares went through the set-aside path
    assert repeated[1] >= 1  # the input of x1 (and of n4) got a second id, folded back into the first
    for name in ("instructions.jsonl", "removed.jsonl", "conflicts.jsonl"):
        assert (out / name).read_bytes() == (unbounded / name).read_bytes()
    assert json.loads(spilled_metrics.read_text()) == metrics
    assert not [p for p in out.iterdir() if p.name.startswith("dedup-")]  # spill files are gone before publishing


def test_spill_entries_read_back_in_order_and_by_location(tmp_path):
    texts = [("", "a"), ("北京 \ud800 lone surrogate", "b" * 70000), ("x", "")]
    with Spill(tmp_path / "t.spill", 2) as spill:
        where = [spill.add(*t) for t in texts]
        assert list(spill.entries()) == list(zip(where, texts, strict=True))
        assert spill.at(where[1]) == texts[1]


def test_spill_blocks_cut_at_every_entry_even_past_the_block_size(tmp_path, monkeypatch):
    monkeypatch.setattr(spill_module, "_BUFFER", 16)  # entries straddle blocks, and one is longer than a block
    texts = [(f"t{i}", "ab" * (i % 7)) for i in range(50)] + [("long", "z" * 100), ("", "")]
    with Spill(tmp_path / "t.spill", 2) as spill:
        where = [spill.add(*t) for t in texts]
        assert [(location, decoded(blob, 2)) for location, blob in spill.blobs()] == list(zip(where, texts, strict=True))
        assert [spill.at(w) for w in reversed(where)] == texts[::-1]
