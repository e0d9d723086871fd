"""`hum clean`: remove what killed runs leave behind, and nothing else.

A killed stage leaves the temporaries of `hum.io.atomic_open` / `atomic_dir`: files or folders named exactly
`.<name>.<pid>.<8 characters>.tmp` beside their target. A later run of the same stage removes those of its own
targets (`hum.io.remove_stale_temporaries`); `hum clean` removes all of them under `data/` and `metrics/` by the
same rule: a temporary whose pid is alive (a stage at work now) is never touched, and nothing of another name is.

The progress of unfinished LLM runs (checkpoints in `.hum/checkpoints`, journals of paid-for replies in
`.hum/replies`) is what a resumed run needs, so it goes only with `--checkpoints` (with the temporaries under
`.hum/`); their names carry no pid, so use it when no stage is running.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hum.checkpoint import CHECKPOINTS
from hum.io import pid_alive, remove_tree
from hum.llm.replies import JOURNALS

TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>[1-9][0-9]*)\.[a-z0-9_]{8}\.tmp")  # as `hum.io` names them
PROGRESS = re.compile(r"[a-z_]+-[0-9a-f]{16}\.jsonl")  # `<stage>-<run hash>.jsonl`, checkpoints and journals alike
SCANNED = (Path("data"), Path("metrics"))
STATE = Path(".hum")
UNITS, UNIT_STEP = ("B", "kB", "MB", "GB"), 1000
KINDS = {"temporary": "temporaries", "checkpoint": "checkpoints", "journal": "journals"}  # singular: plural


@dataclass(frozen=True)
class Leftover:
    """One thing a killed run left: where it is (relative to the project), what it is, and its size in bytes."""

    path: Path
    kind: str  # a key of KINDS
    size: int
    folder: bool = False
    pid: int | None = None  # a temporary's writer
    live: bool = False  # its writer is running now, so it is no leftover (yet)


def arguments(parser: argparse.ArgumentParser) -> None:
    """Project folder, dry run, and whether LLM progress goes too."""
    parser.add_argument("--root", type=Path, default=Path(), help="the project folder (default: the current one)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    parser.add_argument(
        "--checkpoints",
        action="store_true",
        help="also remove the progress of unfinished LLM runs (.hum/checkpoints, .hum/replies journals) and temporaries "
        "under .hum/: a rerun then starts over and asks the model again. Only when no stage is running",
    )


def run(args: argparse.Namespace) -> int:
    """Remove (or with --dry-run list) the leftovers; print each, those of running processes, and a one-line summary."""
    root: Path = args.root
    found = list(leftovers(root, checkpoints=args.checkpoints))
    try:
        gone = [item for item in found if not item.live] if args.dry_run else remove(root, found)
    except OSError as exc:
        print(f"hum clean: {exc}", file=sys.stderr)
        return 1
    verb = "would remove" if args.dry_run else "removed"
    for item in gone:
        print(f"{verb} {shown(item)} ({item.kind}, {size(item.size)})")
    left = [item for item in found if item not in gone]
    for item in left:
        print(f"left {shown(item)} (pid {item.pid} is running)")
    print(summary(gone, left, verb))
    return 0


def shown(item: Leftover) -> str:
    """A leftover's path, a folder's with a trailing slash."""
    return f"{item.path}/" if item.folder else str(item.path)


def leftovers(root: Path, *, checkpoints: bool) -> Iterator[Leftover]:
    """Temporaries under data/ and metrics/; with `checkpoints`, also LLM progress and temporaries under .hum/."""
    for top in [*SCANNED, STATE] if checkpoints else SCANNED:
        for path, pid in temporaries(root / top):
            is_folder = path.is_dir() and not path.is_symlink()
            yield Leftover(path.relative_to(root), "temporary", footprint(path), is_folder, pid, running(pid))
    if checkpoints:
        for folder, kind in ((CHECKPOINTS, "checkpoint"), (JOURNALS, "journal")):
            for path in sorted((root / folder).glob("*.jsonl")):
                if PROGRESS.fullmatch(path.name) and path.is_file() and not path.is_symlink():
                    yield Leftover(path.relative_to(root), kind, path.stat().st_size)


def temporaries(top: Path) -> Iterator[tuple[Path, int]]:
    """Every name of the exact temporary form under `top`, with its writer's pid.

    Symlinks are not followed, and a temporary folder is not entered: it goes whole, or stays whole.
    """
    for folder, subfolders, files in os.walk(top):
        for name in sorted([*subfolders, *files]):
            if found := TEMPORARY.fullmatch(name):
                yield Path(folder, name), int(found["pid"])
        subfolders[:] = sorted(name for name in subfolders if not TEMPORARY.fullmatch(name))


def remove(root: Path, found: list[Leftover]) -> list[Leftover]:
    """Remove what is stale; returns what was removed.

    A temporary's pid is checked again just before it goes: one whose writer came alive since the scan stays. Paths
    are removed as found, never through a symlink. LLM progress files (found only with --checkpoints) go as they are.
    """
    gone = []
    for item in found:
        path = root / item.path
        if item.live or (item.pid is not None and running(item.pid)):
            continue
        if item.folder:
            remove_tree(path)
        else:
            path.unlink(missing_ok=True)
        gone.append(item)
    return gone


def running(pid: int) -> bool:
    """Whether a temporary's writer is at work; our own pid in a name is a reused one (this command writes none)."""
    return pid != os.getpid() and pid_alive(pid)


def footprint(path: Path) -> int:
    """Bytes of a file, or of all files in a folder (symlinks not followed); a live writer may move them meanwhile."""
    if path.is_symlink() or not path.is_dir():
        return _bytes(path)
    return sum(_bytes(Path(folder, name)) for folder, _, files in os.walk(path) for name in files)


def _bytes(path: Path) -> int:
    try:
        return path.lstat().st_size
    except FileNotFoundError:
        return 0


def size(n: int) -> str:
    """A byte count for people."""
    value, unit = float(n), "B"
    for unit in UNITS:
        if value < UNIT_STEP or unit == UNITS[-1]:
            break
        value /= UNIT_STEP
    return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"


def summary(gone: list[Leftover], left: list[Leftover], verb: str) -> str:
    """One line: how many of each kind, their bytes, and how many temporaries of running processes were left."""
    counts = {kind: sum(item.kind == kind for item in gone) for kind in KINDS}
    what = ", ".join(f"{n} {kind if n == 1 else KINDS[kind]}" for kind, n in counts.items() if n) or "nothing"
    kept = f"; {len(left)} of running processes left alone" if left else ""
    return f"hum clean: {verb} {what} ({size(sum(item.size for item in gone))}){kept}"
