from __future__ import annotations

from hum.checkpoint import Checkpoint


def test_add_and_resume(tmp_path):
    path = tmp_path / "ck" / "p.jsonl"
    ck = Checkpoint(path)
    ck.add("a", [{"id": "a~p0"}])
    ck.add("b", [])
    assert Checkpoint(path).done == {"a": [{"id": "a~p0"}], "b": []}


def test_resume_after_truncated_last_line(tmp_path):
    path = tmp_path / "p.jsonl"
    ck = Checkpoint(path)
    ck.add("a", [{"id": "a~p0", "text": "北京"}])
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"key":"b","records":[{"id":')  # killed mid-write
    resumed = Checkpoint(path)
    assert resumed.done == {"a": [{"id": "a~p0", "text": "北京"}]}
    assert path.read_bytes() == whole  # the cut line is dropped from the file too
    resumed.add("b", [{"id": "b~p0"}])
    assert Checkpoint(path).done == {"a": [{"id": "a~p0", "text": "北京"}], "b": [{"id": "b~p0"}]}


def test_clear(tmp_path):
    ck = Checkpoint(tmp_path / "p.jsonl")
    ck.add("a", [])
    ck.clear()
    assert not (tmp_path / "p.jsonl").exists()
    assert Checkpoint(tmp_path / "p.jsonl").done == {}
