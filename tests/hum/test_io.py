from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hum.errors import HumInputError
from hum.io import (
    atomic_dir,
    atomic_open,
    dumps,
    loads,
    parse_line,
    read_jsonl,
    remove_stale_temporaries,
    write_json,
    write_jsonl,
)


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


# A writer that says "ready" once its partial output is on disk, then keeps writing until it is killed.
WRITER = """
import sys, time
from pathlib import Path
from hum.io import atomic_dir, atomic_open
target, kind = Path(sys.argv[1]), sys.argv[2]
def fill(fh):
    fh.write("partial\\n")
    fh.flush()
    print("ready", flush=True)
    while True:
        fh.write("x" * 100 + "\\n")
        time.sleep(0.001)
if kind == "dir":
    with atomic_dir(target) as tmp, open(tmp / "part.jsonl", "w") as fh:
        fill(fh)
else:
    with atomic_open(target) as fh:
        fill(fh)
"""


def kill_while_writing(target: Path, kind: str, rng: random.Random) -> None:
    """Start a writer of `target`, wait until it is mid-write, then SIGKILL it at a random moment."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target), kind], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.05))
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("kind", ["dir", "file"])
def test_debris_of_killed_writers_is_removed_by_the_next_run(tmp_path, kind):
    rng = random.Random(15)
    target = tmp_path / ("pool" if kind == "dir" else "out.jsonl")
    if kind == "dir":
        target.mkdir()
        (target / "a.jsonl").write_text("old\n", encoding="utf-8")
    else:
        target.write_text("old\n", encoding="utf-8")
    seen: set[str] = set()
    for _ in range(3):
        kill_while_writing(target, kind, rng)
        debris = temporaries(tmp_path)  # each writer removed the debris of the one before
        assert len(debris) == 1
        assert debris[0].startswith(f".{target.name}.")
        assert debris[0] not in seen
        partial = tmp_path / debris[0] / "part.jsonl" if kind == "dir" else tmp_path / debris[0]
        assert partial.read_text(encoding="utf-8").startswith("partial\n")  # killed mid-write
        seen.add(debris[0])
    assert (target / "a.jsonl" if kind == "dir" else target).read_text(encoding="utf-8") == "old\n"  # untouched by the kills
    if kind == "dir":
        with atomic_dir(target) as tmp:
            (tmp / "b.jsonl").write_text("new\n", encoding="utf-8")
        assert [p.name for p in target.iterdir()] == ["b.jsonl"]
    else:
        with atomic_open(target) as fh:
            fh.write("new\n")
        assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_cleanup_spares_live_writers_and_other_names(tmp_path):
    sleeper = subprocess.Popen(["sleep", "30"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    try:
        live = tmp_path / f".pool.{sleeper.pid}.abcd_123.tmp"
        stale = [tmp_path / f".pool.{dead.pid}.zz9zz9zz.tmp", tmp_path / f".pool.{os.getpid()}.ownstale.tmp"]
        others = [
            f".poolx.{dead.pid}.abcd1234.tmp",  # another target
            ".pool.abcd1234.tmp",  # no pid: cannot tell whether its writer lives
            f".pool.{dead.pid}.abcd1234.tmp.keep",
            f"pool.{dead.pid}.abcd1234.tmp",
            ".pool.0.abcd1234.tmp",
        ]
        for folder in [live, *stale, *(tmp_path / name for name in others)]:
            folder.mkdir()
            (folder / "part.jsonl").write_text("partial", encoding="utf-8")
        (tmp_path / f".pool.{dead.pid}.filefile.tmp").write_text("partial", encoding="utf-8")  # left by atomic_open
        with atomic_dir(tmp_path / "pool") as tmp:
            (tmp / "a.jsonl").write_text("1\n", encoding="utf-8")
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "pool", *others])
        assert (live / "part.jsonl").read_text(encoding="utf-8") == "partial"
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_temporaries(tmp_path / "pool") == [live]  # its writer is gone now


def test_cleanup_never_removes_a_temporary_this_process_is_writing(tmp_path):
    with atomic_dir(tmp_path / "pool") as outer, atomic_open(tmp_path / "pool") as fh:  # same target, same pid
        fh.write("x")
        assert outer.is_dir()
        assert remove_stale_temporaries(tmp_path / "pool") == []
    assert temporaries(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permissions: see the simulated rename failure below")
def test_read_only_output_folder_is_replaced_without_debris(tmp_path):
    out = tmp_path / "pool"
    out.mkdir()
    (out / "a.jsonl").write_text("old\n", encoding="utf-8")
    out.chmod(0o555)  # its files cannot be deleted as they are: the previous output must be made writable first
    with atomic_dir(out) as tmp:
        (tmp / "a.jsonl").write_text("new\n", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["pool"]  # no temporary, no `.pool.old`
    assert (out / "a.jsonl").read_text(encoding="utf-8") == "new\n"


@pytest.fixture
def failing_rename(monkeypatch):
    """os.replace fails for the temporaries (as on a read-only or full file system), works for anything else."""
    real = os.replace

    def replace(src, dst):
        if str(src).endswith(".tmp"):
            raise OSError(30, "Read-only file system", str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.usefixtures("failing_rename")
def test_failed_swap_leaves_no_temporary_and_the_old_output(tmp_path):
    out = tmp_path / "pool"
    out.mkdir()
    (out / "a.jsonl").write_text("old\n", encoding="utf-8")
    with pytest.raises(OSError, match="Read-only"), atomic_dir(out) as tmp:
        (tmp / "a.jsonl").write_text("new\n", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["pool"]  # no temporary, no `.pool.old`
    assert (out / "a.jsonl").read_text(encoding="utf-8") == "old\n"
    with pytest.raises(OSError, match="Read-only"):
        write_json(tmp_path / "m.json", {"a": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["pool"]


TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)  # lone surrogates and control characters too
NUMBERS = st.integers(-(2**70), 2**70) | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1])
LEAVES = TEXT | NUMBERS | st.booleans() | st.none() | st.floats(allow_nan=True, allow_infinity=True)
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=20)


def spelled_by_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def parsed(parse: object, line: str) -> str:
    """What a parser makes of a line, or its error, as text (NaN is not equal to itself)."""
    try:
        return repr(parse(line))  # type: ignore[operator]
    except ValueError as exc:
        return f"{type(exc).__name__}: {exc}"


@given(st.dictionaries(TEXT, VALUES, max_size=6))
def test_dumps_spells_every_record_as_json_does(record: dict[str, object]) -> None:
    assert dumps(record) == spelled_by_json(record)


@given(VALUES)
def test_loads_reads_every_line_as_json_does(value: object) -> None:
    line = spelled_by_json(value)
    assert parsed(loads, line) == parsed(json.loads, line)
    assert parsed(loads, line.encode("utf-8", "surrogatepass")) == parsed(json.loads, line.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    "line",
    [
        '{"a":',
        '\ufeff{"a":1}',
        '{"a":1}x',
        "nul",
        '{"a":NaN}',
        '{"a":1e999}',
        '{"b":1,"a":2,"b":3}',
        '{"a":12345678901234567890}',
    ],
)
def test_a_line_orjson_refuses_or_reads_otherwise_gets_json_s_answer(line: str) -> None:
    assert parsed(loads, line) == parsed(json.loads, line)


def test_a_malformed_line_is_named_with_json_s_reason() -> None:
    error = parse_line(Path("f.jsonl"), 3, '{"a":')
    assert str(error) == str(HumInputError(Path("f.jsonl"), "line 3", "<json>", "malformed JSON: Expecting value"))


EVERY_CHARACTER = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF)


@pytest.mark.parametrize(
    "record",
    [
        {"output": EVERY_CHARACTER, "input": EVERY_CHARACTER[::-1], "instruction": "", "é": "", "Z": "\n\t\u2028\x7f"},
        {"id": "x", "conversations": [{"from": "human", "value": EVERY_CHARACTER[:5000]}, {"value": "", "from": "gpt"}]},
        {"id": 7, "conversations": []},  # not only strings
        {"input": "\ud800"},  # a lone surrogate: orjson refuses it
        {"a": [1e-05, 1e16, float("nan"), 2**70, None, True]},
    ],
)
def test_dumps_spells_every_character_as_json_does(record: dict[str, object]) -> None:
    assert dumps(record) == spelled_by_json(record)
