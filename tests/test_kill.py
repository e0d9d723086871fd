"""kill -9 at seeded random points of every stage: its outputs stay the previous version (or absent), never partial;
a rerun leaves no debris and writes the same bytes as a clean run.

One module-scoped build runs the stages once in a copy of the project: it is each stage's clean run, and the input
of the stages after it. Every test then copies the build, kills its stage twice and reruns it. The model is a
deterministic fake (`fakes.chat.SlowEcho`), so no stage loads the real one: `generalist` asks the fake, `validate`
counts tokens by estimate. `paraphrase` runs in the build (with the fake) but is kill-tested in test_resume.py.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow
COPIED = ("data/seeds", "data/templates", "data/guidelines")  # what git holds; the rest is built, as in a fresh clone
MODEL = {"_target_": "fakes.chat.SlowEcho", "delay": 0.01, "log": "fake-model.log"}  # ~1 s of generalist calls to cut
KILLS = 2  # per stage: once soon after a temporary (or checkpoint) appears, once at a random time
GRACE = 0.05  # seconds: the kill after a temporary appears comes within this (a fast stage writes for a tenth of one)
TIMEOUT = 120
PREVIOUS = "PREVIOUS"  # a file marking the previous version of an output folder
PREVIOUS_METRICS = '{"previous": true}\n'
CHECKPOINTS = ".hum/checkpoints"


@dataclass(frozen=True)
class Stage:
    """A stage script and what it writes: DVC outputs and metrics, folders or files."""

    name: str
    outputs: tuple[str, ...]
    progress: str = ""  # where an LLM stage's checkpoints appear (a kill trigger besides temporaries)

    def run(self, where: Path, root: Path) -> subprocess.Popen[bytes]:
        """Start the stage script in `where` (its own process group); its output goes to `where`/../<stage>.log."""
        script = [sys.executable, str(root / "stages" / f"{self.name}.py")]
        env = {**os.environ, "PYTHONPATH": str(root / "tests"), "HUM_ALLOW_TEST_MODELS": "fakes."}
        with (where.parent / f"{self.name}.log").open("ab") as log:  # a file, not a pipe: nothing blocks the stage
            return subprocess.Popen(script, cwd=where, env=env, stdout=log, stderr=log, start_new_session=True)


STAGES = (
    Stage("prepare", ("data/prepared", "metrics/prepare.json")),
    Stage("generate", ("data/generated", "metrics/generate.json")),
    Stage("generalist", ("data/generalist", "data/replies/generalist/replies.jsonl", "metrics/generalist.json"), CHECKPOINTS),
    Stage("dedup", ("data/deduped", "metrics/dedup.json")),
    Stage("decontaminate", ("data/decontaminated", "metrics/decontaminate.json")),
    Stage("validate", ("data/validated", "metrics/validate.json")),
    Stage("mix", ("data/corpus", "metrics/plots", "metrics/corpus.json", "metrics/diversity.json")),
)

Digest = dict[str, str] | str | None  # a folder's files, a file's hash, or absent


def digest(path: Path) -> Digest:
    if path.is_dir():
        return {str(p.relative_to(path)): sha256(p) for p in sorted(path.rglob("*")) if p.is_file()}
    return sha256(path) if path.exists() else None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hidden(where: Path, pattern: str = ".*") -> set[str]:
    """Dot-names under data/ and metrics/: temporaries (`.*.tmp`), `.<name>.old` of a swap, .gitignore files."""
    return {str(p.relative_to(where)) for top in ("data", "metrics") for p in (where / top).rglob(pattern)}


def finish(proc: subprocess.Popen[bytes], where: Path, stage: Stage) -> int:
    """Wait for the stage; its exit status, which must be success or our SIGKILL."""
    proc.wait(timeout=TIMEOUT)
    log = (where.parent / f"{stage.name}.log").read_text(errors="replace")
    assert proc.returncode in {0, -signal.SIGKILL}, log[-3000:]
    return proc.returncode


@dataclass(frozen=True)
class Build:
    """The project copy after one clean run of every stage, and how long each stage took."""

    path: Path
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def build(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    where = tmp_path_factory.mktemp("build")
    for name in COPIED:
        shutil.copytree(root / name, where / name)
    params = yaml.safe_load((root / "params.yaml").read_text())
    (where / "params.yaml").write_text(yaml.safe_dump({**params, "model": MODEL}))
    seconds = {}
    for stage in (Stage("paraphrase", ("data/pool",)), *STAGES):  # paraphrase has its own kill test (test_resume.py)
        start = time.monotonic()
        assert finish(stage.run(where, root), where, stage) == 0
        seconds[stage.name] = time.monotonic() - start
    assert not hidden(where, ".*.tmp")
    return Build(where, seconds)


def mark_previous(where: Path, stage: Stage) -> dict[str, Digest]:
    """Make the outputs a recognisable previous version; returns their digests.

    A folder gets a marker file, a metrics file other content. The LLM replies shard is removed instead (it is also
    an input): the killed run then asks the fake model and journals the replies, as a first run would.
    """
    for name in stage.outputs:
        path = where / name
        if name.startswith("data/replies/"):
            path.unlink()
        elif path.is_dir():
            (path / PREVIOUS).write_text("an earlier complete version\n")
        else:
            path.write_text(PREVIOUS_METRICS)
    return {name: digest(where / name) for name in stage.outputs}


def trigger(where: Path, stage: Stage) -> Callable[[], bool]:
    """Whether the stage is writing: a temporary beside one of its outputs, or a checkpoint of its progress."""
    folders = {(where / name).parent for name in stage.outputs}
    progress = where / stage.progress if stage.progress else None

    def writing() -> bool:
        temporary = any(entry.name.endswith(".tmp") for folder in folders if folder.is_dir() for entry in os.scandir(folder))
        return temporary or (progress is not None and progress.is_dir() and any(progress.iterdir()))

    return writing


def kill(proc: subprocess.Popen[bytes], when: Callable[[], bool], where: Path, stage: Stage) -> int:
    """SIGKILL the stage's process group once `when` holds (polled every 5 ms); its exit status (0: it finished first)."""
    deadline = time.monotonic() + TIMEOUT
    while proc.poll() is None and not when() and time.monotonic() < deadline:
        time.sleep(0.005)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    return finish(proc, where, stage)


def after(seconds: float) -> Callable[[], bool]:
    start = time.monotonic()
    return lambda: time.monotonic() - start >= seconds


def soon_after(condition: Callable[[], bool], delay: float) -> Callable[[], bool]:
    """True `delay` seconds after `condition` first held."""
    seen: list[float] = []

    def due() -> bool:
        if not seen and condition():
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] >= delay

    return due


def version(found: Digest, previous: Digest, clean: Digest) -> str:
    """Which complete version an output is ("" when none: it is partial)."""
    return next((name for name, known in (("previous", previous), ("clean", clean), ("absent", None)) if found == known), "")


def in_progress(where: Path, stage: Stage) -> bool:
    """Whether a killed run left work in progress: temporaries, or checkpoints of an LLM stage."""
    return bool(hidden(where, ".*.tmp")) or bool(stage.progress and any((where / stage.progress).glob("*.jsonl")))


@pytest.mark.parametrize("stage", STAGES, ids=[s.name for s in STAGES])
def test_killed_stage_leaves_no_partial_output_and_reruns_to_the_same_bytes(
    stage: Stage, build: Build, root: Path, tmp_path: Path
) -> None:
    where = tmp_path / "project"
    shutil.copytree(build.path, where, symlinks=True)
    clean = {name: digest(build.path / name) for name in stage.outputs}
    previous = mark_previous(where, stage)
    rng = random.Random(f"kill:{stage.name}")
    codes, cut = [], False
    for k in range(KILLS):
        proc = stage.run(where, root)
        if k == 0:
            when = soon_after(trigger(where, stage), rng.uniform(0, GRACE))
        else:
            when = after(rng.uniform(0.2, build.seconds[stage.name]))
        codes.append(kill(proc, when, where, stage))
        for name in stage.outputs:
            assert version(digest(where / name), previous[name], clean[name]), f"{name} is partial after kill {k}"
        cut |= in_progress(where, stage)
    assert -signal.SIGKILL in codes, f"{stage.name} finished before every kill"
    assert cut, f"no kill of {stage.name} landed while it was writing"

    assert finish(stage.run(where, root), where, stage) == 0
    assert not hidden(where, ".*.tmp"), "temporaries of the killed runs are left"
    assert hidden(where) == hidden(build.path), "so is other debris (a swap's `.<name>.old`, say)"
    for name in stage.outputs:
        assert digest(where / name) == clean[name], name
    assert not list((where / ".hum").rglob("*.jsonl")), "checkpoints and journals are cleared with the outputs in place"
