from __future__ import annotations

import pytest

from hum.io import atomic_dir, atomic_open, dumps, read_jsonl, write_json, write_jsonl


def test_dumps_is_canonical():
    assert dumps({"b": 1, "a": "é北"}) == '{"a":"é北","b":1}'


def test_write_and_read_jsonl(tmp_path):
    recs = [{"id": "1", "t": "😀"}, {"id": "2"}]
    assert write_jsonl(tmp_path / "sub" / "x.jsonl", recs) == 2
    assert list(read_jsonl(tmp_path / "sub" / "x.jsonl")) == recs
    write_json(tmp_path / "m.json", {"b": [1], "a": 2})
    assert (tmp_path / "m.json").read_text(encoding="utf-8") == '{\n  "a": 2,\n  "b": [\n    1\n  ]\n}\n'


def fail_while_writing(target, exc):
    with atomic_open(target) as fh:
        fh.write("partial\n")
        raise exc


def fail_while_filling(folder, exc):
    with atomic_dir(folder) as tmp:
        (tmp / "a.jsonl").write_text("1\n", encoding="utf-8")
        raise exc


def test_atomic_open_leaves_no_file_on_error(tmp_path):
    with pytest.raises(RuntimeError, match="boom"):
        fail_while_writing(tmp_path / "out.jsonl", RuntimeError("boom"))
    assert list(tmp_path.iterdir()) == []


def test_atomic_open_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        fail_while_writing(target, KeyboardInterrupt())
    assert target.read_text(encoding="utf-8") == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_atomic_open_success(tmp_path):
    with atomic_open(tmp_path / "a.txt") as fh:
        fh.write("x\n")
        assert not (tmp_path / "a.txt").exists()
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_dir_error_and_success(tmp_path):
    out = tmp_path / "pool"
    with pytest.raises(ValueError, match="bad"):
        fail_while_filling(out, ValueError("bad"))
    assert list(tmp_path.iterdir()) == []
    out.mkdir()
    (out / "stale.txt").write_text("s", encoding="utf-8")
    with atomic_dir(out) as tmp:
        (tmp / "a.jsonl").write_text("1\n", encoding="utf-8")
    assert [p.name for p in out.iterdir()] == ["a.jsonl"]
    assert [p.name for p in tmp_path.iterdir()] == ["pool"]
