"""Streaming JSON-lines I/O with atomic writes, so a killed stage never leaves half a file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import orjson

from hum.errors import HumInputError
from hum.storage import open_input

_DIGITS = bytes.maketrans(b"123456789", b"000000000")  # every digit to "0": a run of digits becomes a run of "0"
_LONG_NUMBER = b"0" * 19  # orjson reads integers beyond 64 bits as floats: json.loads reads lines with such a run
_PLAIN = frozenset({str, int, bool, type(None)})  # what orjson spells as json does (see `dumps`)

Record = dict[str, Any]
UMASK = os.umask(0o022)
os.umask(UMASK)


def dumps(obj: Any) -> str:
    """One canonical serialisation everywhere, so equal content means equal bytes: `json.dumps`'s compact sorted spelling.

    orjson spells text, whole numbers, booleans and null the same, 3-5x faster, so it writes what holds nothing else.
    It differs on floats (`1e-05`) and refuses integers beyond 64 bits and lone surrogates: those go to json.
    """
    if _plain(obj):
        with contextlib.suppress(TypeError):  # orjson's refusals
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _plain(value: object) -> bool:
    """Whether `value` holds only text, whole numbers, booleans and null, in lists and dicts under text keys.

    A loop over a stack, not recursion: a record is mostly short strings, and a call per leaf would cost more than
    orjson's whole spelling of it.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            continue
        if kind is dict:
            if not all(type(key) is str for key in item):  # type: ignore[attr-defined]
                return False
            stack.extend(item.values())  # type: ignore[attr-defined]
        elif kind is list:
            stack.extend(item)  # type: ignore[arg-type]
        elif kind not in _PLAIN:
            return False
    return True


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


BOM = "\ufeff"


def text_lines(path: str | Path) -> Iterator[tuple[int, str | HumInputError]]:
    """Numbered lines of a UTF-8 file, local or a URL (`hum.storage`), a leading BOM dropped; bad bytes come as their error."""
    for lineno, _, line in located_lines(path):
        yield lineno, line


def located_lines(path: str | Path, lineno: int = 1, offset: int = 0) -> Iterator[tuple[int, int, str | HumInputError]]:
    """`text_lines` with each line's byte offset, from line `lineno` at byte `offset` on (a reader of one batch starts there)."""
    with open_input(path) as fh:
        if offset:  # a stream from a URL need not seek to its start
            fh.seek(offset)
        for raw in fh:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, offset, HumInputError(path, f"line {lineno}", "<encoding>", f"not UTF-8 text ({exc.reason})")
            else:
                yield lineno, offset, text.removeprefix(BOM) if lineno == 1 else text
            lineno, offset = lineno + 1, offset + len(raw)


def jsonl_lines(path: str | Path) -> Iterator[tuple[int, Record | HumInputError]]:
    """Each non-blank line as a record, or as the error that names it, so a caller may set it aside and go on."""
    for lineno, line in text_lines(path):
        if isinstance(line, HumInputError):
            yield lineno, line
        elif line.strip():
            yield lineno, parse_line(path, lineno, line)


def parse_line(path: str | Path, lineno: int, line: str) -> Record | HumInputError:
    """One JSON-lines line as a record, or the error naming its file and line (returned: the caller decides when to raise)."""
    try:
        obj = loads(line)
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


_ACTIVE: set[Path] = set()  # temporaries this process is writing now: never debris, even though our pid is alive
_ACTIVE_LOCK = threading.Lock()


def _tmp_prefix(path: Path) -> str:
    """`.<name>.<pid>.`: the pid in the name tells a later run whether the writer may still be at work."""
    return f".{path.name}.{os.getpid()}."


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists; when unsure (no permission, odd pid), say yes and keep its files."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete the temporaries of `path` that earlier, killed writers left behind; returns what was removed.

    Only names of the exact form `.<name>.<pid>.<8 random>.tmp` beside `path` are considered (what `atomic_open` and
    `atomic_dir` create for this target), and only when that pid is gone, or is ours but not being written in this
    process (a pid reused after a crash, as in containers). A live writer's temporary is left alone.
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.([1-9][0-9]*)\.[a-z0-9_]{{8}}\.tmp")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(path.parent))
    except FileNotFoundError:
        return []
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None:
            continue
        pid, tmp = int(found[1]), _real(Path(entry.path))
        with _ACTIVE_LOCK:
            if tmp in _ACTIVE or (pid != os.getpid() and pid_alive(pid)):
                continue
        if entry.is_dir(follow_symlinks=False):
            remove_tree(tmp)
        else:
            tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def remove_tree(path: Path) -> None:
    """Remove a folder tree of ours that is on its way out, even where a stage made parts of it read-only."""
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        return
    except OSError:
        with contextlib.suppress(OSError):
            path.chmod(0o700)
        for folder, subfolders, _ in os.walk(path):  # top-down: each folder is made writable before it is entered
            for name in subfolders:
                sub = Path(folder, name)
                if not sub.is_symlink():
                    with contextlib.suppress(OSError):
                        sub.chmod(0o700)
        shutil.rmtree(path, ignore_errors=True)


def _real(path: Path) -> Path:
    """One spelling per file, so a temporary reached by a relative or symlinked path is still recognised as ours."""
    return Path(os.path.realpath(path))


@contextmanager
def _temporary(path: Path, make: Callable[..., Any]) -> Iterator[Path]:
    """Create a temporary for `path` (file or folder: `make` is mkstemp or mkdtemp) and mark it as ours while it lives.

    Creating and marking happen under one lock, so another thread's cleanup never sees it unmarked.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    with _ACTIVE_LOCK:
        made = make(prefix=_tmp_prefix(path), suffix=".tmp", dir=path.parent)
        if isinstance(made, tuple):
            os.close(made[0])
            made = made[1]
        tmp = Path(made)
        _ACTIVE.add(_real(tmp))
    try:
        yield tmp
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(_real(tmp))


@contextmanager
def atomic_open(path: str | Path) -> Iterator[IO[str]]:
    """Write to a temporary file beside `path` and move it in place only on success.

    The temporary is `.<name>.<pid>.<random>.tmp`; stale ones of the same target from killed runs are removed first,
    and ours is removed on any failure, the final rename included.
    """
    path = Path(path)
    with _temporary(path, tempfile.mkstemp) as tmp:
        try:
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                os.fchmod(fh.fileno(), 0o666 & ~UMASK)  # mkstemp makes private files; outputs get the usual permissions
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
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
    """Fill a temporary folder and swap it in for `path` only on success: no half-written outputs.

    The folder is `.<name>.<pid>.<random>.tmp`; stale ones of the same target from killed runs are removed first,
    and ours is removed on any failure, a failed swap included (then the previous output is put back).
    """
    path = Path(path)
    with _temporary(path, tempfile.mkdtemp) as tmp:
        try:
            tmp.chmod(0o777 & ~UMASK)
            yield tmp
            _swap(tmp, path)
        except BaseException:
            remove_tree(tmp)
            raise


def _swap(tmp: Path, path: Path) -> None:
    """Put the folder `tmp` in place of `path` with two renames, so the previous output is never deleted first."""
    old = path.with_name(f".{path.name}.old")
    remove_tree(old)
    moved = False
    try:
        if path.exists():
            path.replace(old)
            moved = True
        tmp.replace(path)
    except BaseException:
        if moved:
            old.replace(path)  # the new output could not go in: the previous one stays where it was
        raise
    remove_tree(old)  # a read-only previous output is made writable first, so no `.<name>.old` is left behind


def loads(raw: bytes | str) -> Any:
    """`json.loads`, faster: orjson where it gives the same objects, json for what orjson reads otherwise or refuses.

    orjson refuses NaN, infinities, lone surrogates, byte order marks and encodings other than UTF-8 (json reads some
    of them, or raises its own error) and turns integers beyond 64 bits into floats; such lines go to json, so every
    line parses exactly as json parses it.
    """
    try:
        data = raw.encode() if isinstance(raw, str) else raw  # bytes translate 3x faster than a str
    except UnicodeEncodeError:  # a lone surrogate: json reads it
        return json.loads(raw)
    if _LONG_NUMBER not in data.translate(_DIGITS):  # 10x faster than a regular expression
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)
