"""Streaming JSON-lines I/O with atomic writes, so a killed stage never leaves half a file."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from hum.errors import HumInputError

Record = dict[str, Any]
UMASK = os.umask(0o022)
os.umask(UMASK)


def dumps(obj: Any) -> str:
    """One canonical serialisation everywhere, so equal content means equal bytes."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def read_jsonl(path: str | Path) -> Iterator[Record]:
    """Yield records one by one; a malformed line raises with its file and line number."""
    for _, record in read_jsonl_numbered(path):
        yield record


def read_jsonl_numbered(path: str | Path) -> Iterator[tuple[int, Record]]:
    """Yield (line number, record) pairs, skipping blank lines; the first bad line raises."""
    for lineno, item in jsonl_lines(path):
        if isinstance(item, HumInputError):
            raise item
        yield lineno, item


def jsonl_lines(path: str | Path) -> Iterator[tuple[int, Record | HumInputError]]:
    """Each non-blank line as a record, or as the error that names it, so a caller may set it aside and go on."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, HumInputError(path, f"line {lineno}", "<encoding>", f"not UTF-8 text ({exc.reason})")
                continue
            if line.strip():
                yield lineno, _parse_line(path, lineno, line)


def _parse_line(path: str | Path, lineno: int, line: str) -> Record | HumInputError:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return HumInputError(path, f"line {lineno}", "<json>", f"malformed JSON: {exc.msg}")
    return obj if isinstance(obj, dict) else HumInputError(path, f"line {lineno}", "<json>", "expected a JSON object")


def iter_lines(path: str | Path) -> Iterator[str]:
    """Lines of a UTF-8 text file, decoded one by one so bad bytes are reported on their own line."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise HumInputError(path, f"line {lineno}", "<encoding>", f"not UTF-8 text ({exc.reason})") from exc


@contextmanager
def atomic_open(path: str | Path) -> Iterator[IO[str]]:
    """Write to a temporary file beside `path` and move it in place only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~UMASK)  # mkstemp makes private files; outputs get the usual permissions
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: str | Path, records: Iterable[Record]) -> int:
    """Atomically write records as JSON lines; returns how many were written."""
    n = 0
    with atomic_open(path) as fh:
        for rec in records:
            fh.write(dumps(rec) + "\n")
            n += 1
    return n


def write_json(path: str | Path, obj: Any) -> None:
    """Atomically write pretty, key-sorted JSON (stable bytes for DVC metrics)."""
    with atomic_open(path) as fh:
        fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2) + "\n")


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Fill a temporary folder and swap it in for `path` only on success: no half-written outputs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    tmp.chmod(0o777 & ~UMASK)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = path.with_name(f".{path.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        path.replace(old)  # two renames: the previous output is never deleted before the new one is in place
    tmp.replace(path)
    shutil.rmtree(old, ignore_errors=True)
