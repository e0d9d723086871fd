"""`hum clean` removes the temporaries of killed runs under data/ and metrics/, never a live one, nothing else."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hum.cli import clean, main
from hum.io import atomic_dir, remove_tree


@pytest.fixture(scope="module")
def pids() -> Iterator[tuple[int, int]]:
    """(dead, live): the pid of a process that has exited, and of one sleeping until the tests end."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield dead.pid, live.pid
    live.kill()
    live.wait()


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def project(root: Path, dead: int, live: int) -> dict[str, set[str]]:
    """A project with every kind of leftover and look-alike; returns which paths are stale, live, progress or kept."""
    stale = {
        f"data/.prepared.{dead}.ab12_z9q.tmp",  # a folder, with a nested temporary: it goes whole
        f"data/deduped/.instructions.jsonl.{dead}.x1y2z3_4.tmp",
        f"metrics/.dedup.json.{dead}.abcdefgh.tmp",
        f"metrics/.plots.{dead}.abcdefgh.tmp",
    }
    touch(root / f"data/.prepared.{dead}.ab12_z9q.tmp/wnut17.train.jsonl")
    touch(root / f"data/.prepared.{dead}.ab12_z9q.tmp/.manifest.json.{dead}.zzzzzzzz.tmp")
    touch(root / f"data/.prepared.{dead}.ab12_z9q.tmp/sub/file")
    (root / f"data/.prepared.{dead}.ab12_z9q.tmp/sub").chmod(0o500)  # read-only inside: still removed
    touch(root / f"data/deduped/.instructions.jsonl.{dead}.x1y2z3_4.tmp", "half a file")
    touch(root / f"metrics/.dedup.json.{dead}.abcdefgh.tmp")
    (root / f"metrics/.plots.{dead}.abcdefgh.tmp").mkdir()
    live_paths = {f"data/.generated.{live}.abcdefgh.tmp", f"data/corpus/.train.jsonl.{live}.abcdefgh.tmp"}
    touch(root / f"data/.generated.{live}.abcdefgh.tmp/.rejects.jsonl.{dead}.abcdefgh.tmp")  # inside a live folder: stays
    touch(root / f"data/corpus/.train.jsonl.{live}.abcdefgh.tmp")
    kept = {
        "data/prepared/wnut17.train.jsonl",
        "data/.prepared.old",  # a swap cut between its two renames: not a temporary
        "data/.x.tmp",
        f"data/.foo.{dead}.abcdefg.tmp",  # 7 random characters
        f"data/.foo.{dead}.ABCDEFGH.tmp",
        f"data/foo.{dead}.abcdefgh.tmp",  # no leading dot
        f"data/.foo.0{dead}.abcdefgh.tmp",  # a pid never starts with 0
        f"data/.foo.{dead}.abcdefgh.tmp.bak",
        f"data/.foo.{dead}.abcdefgh.tmpx",
        f".x.{dead}.abcdefgh.tmp",  # outside data/ and metrics/
        f"src/.y.{dead}.abcdefgh.tmp",
        f"elsewhere/.z.{dead}.abcdefgh.tmp",  # reached only through a symlink under data/
        ".hum/checkpoints/notes.txt",
        ".hum/calls/generalist.json",
    }
    for name in kept:
        touch(root / name)
    (root / "data/link").symlink_to(root / "elsewhere", target_is_directory=True)
    progress = {
        ".hum/checkpoints/paraphrase-0123456789abcdef.jsonl",
        ".hum/replies/generalist-fedcba9876543210.jsonl",
        f".hum/calls/.generalist.json.{dead}.abcdefgh.tmp",
    }
    for name in progress:
        touch(root / name)
    return {"stale": stale, "live": live_paths, "kept": kept, "progress": progress}


def listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def cleaned(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["clean", "--root", str(root), *args]) == 0
    return capsys.readouterr().out.splitlines()


def test_dry_run_lists_stale_temporaries_and_removes_nothing(tmp_path: Path, pids: tuple[int, int], capsys) -> None:
    paths = project(tmp_path, *pids)
    before = listing(tmp_path)
    out = cleaned(tmp_path, "--dry-run", capsys=capsys)
    assert listing(tmp_path) == before
    listed = {line.split(" ")[2].rstrip("/") for line in out if line.startswith("would remove ")}
    assert listed == paths["stale"]
    assert {line.split(" ")[1].rstrip("/") for line in out if line.startswith("left ")} == paths["live"]
    assert out[-1].startswith("hum clean: would remove 4 temporaries (")
    assert out[-1].endswith("; 2 of running processes left alone")


def test_clean_removes_exactly_the_stale_temporaries(tmp_path: Path, pids: tuple[int, int], capsys) -> None:
    paths = project(tmp_path, *pids)
    before = listing(tmp_path)
    out = cleaned(tmp_path, capsys=capsys)
    after = listing(tmp_path)
    assert before - after == {p for p in before if any(p == s or p.startswith(s + "/") for s in paths["stale"])}
    assert paths["live"] | paths["kept"] | paths["progress"] <= after
    assert {line.split(" ")[1].rstrip("/") for line in out if line.startswith("removed ")} == paths["stale"]
    assert f"removed data/.prepared.{pids[0]}.ab12_z9q.tmp/ (temporary, " in "\n".join(out)
    assert out[-1].startswith("hum clean: removed 4 temporaries (")
    assert cleaned(tmp_path, capsys=capsys)[-1] == "hum clean: removed nothing (0 B); 2 of running processes left alone"


def test_checkpoints_go_only_when_asked(tmp_path: Path, pids: tuple[int, int], capsys) -> None:
    paths = project(tmp_path, *pids)
    cleaned(tmp_path, capsys=capsys)
    assert paths["progress"] <= listing(tmp_path), "what a resumed run needs stays by default"
    out = cleaned(tmp_path, "--checkpoints", capsys=capsys)
    after = listing(tmp_path)
    assert not paths["progress"] & after
    assert paths["live"] | paths["kept"] <= after
    assert out[-1].startswith("hum clean: removed 1 temporary, 1 checkpoint, 1 journal (")


def test_a_live_writer_is_checked_again_when_removing(tmp_path: Path, pids: tuple[int, int], capsys, monkeypatch) -> None:
    """A pid is checked again just before its temporary goes: one that came alive since the scan stays."""
    live = tmp_path / f"data/.validated.{pids[1]}.abcdefgh.tmp"
    touch(live / "instructions.jsonl")
    real, asked = clean.pid_alive, []

    def reused_meanwhile(pid: int) -> bool:
        asked.append(pid)
        return len(asked) > 1 and real(pid)  # dead at the scan, alive again when its turn to go comes

    monkeypatch.setattr(clean, "pid_alive", reused_meanwhile)
    out = cleaned(tmp_path, capsys=capsys)
    assert live.is_dir()
    assert out == [f"left data/.validated.{pids[1]}.abcdefgh.tmp/ (pid {pids[1]} is running)", out[-1]]
    assert out[-1] == "hum clean: removed nothing (0 B); 1 of running processes left alone"
    assert asked == [pids[1], pids[1]]


def test_the_console_script_cleans_what_a_killed_stage_left(tmp_path: Path) -> None:
    """A real stage-like writer killed with SIGKILL inside `atomic_dir`; `hum clean` in the project removes its folder."""
    writer = """if True:
        import os, signal
        from hum.io import atomic_dir
        with atomic_dir("data/deduped") as tmp:
            (tmp / "a").write_text("x")
            os.kill(os.getpid(), signal.SIGKILL)
    """
    killed = subprocess.run([sys.executable, "-c", writer], cwd=tmp_path, check=False)
    assert killed.returncode == -9
    left = [p.name for p in (tmp_path / "data").iterdir()]
    assert len(left) == 1
    assert left[0].startswith(".deduped.")
    done = subprocess.run([sys.executable, "-m", "hum.cli", "clean"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [f"removed data/{left[0]}/ (temporary, 1 B)", "hum clean: removed 1 temporary (1 B)"]
    assert not list((tmp_path / "data").iterdir())
    with atomic_dir(tmp_path / "data/deduped") as tmp:  # and the next run writes as usual
        (tmp / "a").write_text("y")
    assert (tmp_path / "data/deduped/a").read_text() == "y"


def test_a_read_only_tree_is_made_writable_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root no permission stops rmtree, so the refusal a user would meet is played by a stand-in, once."""
    tree = tmp_path / ".x.1.abcdefgh.tmp"
    touch(tree / "sub/file")
    (tree / "sub").chmod(0o500)
    real, calls = shutil.rmtree, []

    def refuse_once(path: Path, **options: bool) -> None:
        calls.append(path)
        if len(calls) == 1:
            raise PermissionError(13, "Permission denied", str(path / "sub/file"))
        real(path, **options)

    monkeypatch.setattr(shutil, "rmtree", refuse_once)
    remove_tree(tree)
    assert not tree.exists()
    assert len(calls) == 2
