"""A dataset config's `columns` and `constants`: the file's own field names and nesting mapped to the task's fields.

`columns` maps a source path to a field path, `{category: label}` as ever. A path is keys joined by dots
(`annotations.answer`); `*` stands for every item of a list, at the same place on both sides
(`events.*.subtype: events.*.type` renames `subtype` inside every event). A source column whose whole name has a dot
(a flattened `answers.text`) is taken as that column. `constants` gives fields every row shares (`{label: positive}`,
`{events.*.type: Attack}`). A row that lacks a mapped source has nothing moved, so the task's checks name the field
it lacks (a required field is never filled with a default); a constant that a row already has is an error.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

from hum.io import Record
from hum.seedformats.fields import FieldError

Place = list[str | int]  # keys and list indices from the row down to one object
_MISSING = object()


def problems(cfg: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(config key, problem) for each path of `columns` and `constants` that cannot be applied to any row."""
    for src, dst in (cfg.get("columns") or {}).items():
        if (problem := _pair_problem(str(src).split("."), str(dst).split("."))) is not None:
            yield f"columns.{src}", problem
    for dst in cfg.get("constants") or {}:
        if "" in (path := str(dst).split(".")) or path[-1] == "*":
            yield f"constants.{dst}", "a field path is keys joined by '.', with '*' for every item of a list, ending in a key"


def remap(row: Record, cfg: dict[str, Any]) -> Record:
    """The row with its columns moved (all read before any is written, so renames may swap) and constants set."""
    columns, constants = cfg.get("columns") or {}, cfg.get("constants") or {}
    if not columns and not constants:
        return row
    moves = [
        (place, keys, _split(str(dst).split("."))[1], _peek(_walk(row, place), keys))
        for src, dst in columns.items()
        for place, keys in _sources(row, str(src))
    ]
    out = copy.deepcopy(row)
    for place, keys, _, _ in moves:
        with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):  # inside a source moved already
            _walk(out, [*place, *keys[:-1]]).pop(keys[-1], None)
    for place, _, target, value in moves:
        _set(_walk(out, place), target, value, place)
    for dst, value in constants.items():
        prefix, rest = _split(str(dst).split("."))
        for place in _places(out, prefix, []):
            if _peek(_walk(out, place), rest) is not None:
                raise FieldError(_name([*place, *rest]), f"the row has its own value; constants would set {value!r}")
            _set(_walk(out, place), rest, copy.deepcopy(value), place)
    return out


def _pair_problem(src: list[str], dst: list[str]) -> str | None:
    if "" in src or "" in dst:
        return "a path is keys joined by '.' (no empty key)"
    (src_prefix, src_rest), (dst_prefix, dst_rest) = _split(src), _split(dst)
    if src_prefix != dst_prefix or not src_rest or not dst_rest:
        return f"'*' must stand at the same places on both sides, before the last key: {'.'.join(src)} -> {'.'.join(dst)}"
    return None


def _split(path: list[str]) -> tuple[list[str], list[str]]:
    """A path cut after its last `*`: the lists to go through, and the keys inside each item."""
    last = max((i for i, key in enumerate(path) if key == "*"), default=-1)
    return path[: last + 1], path[last + 1 :]


def _sources(row: Record, src: str) -> Iterator[tuple[Place, list[str]]]:
    """Each place a source path reaches in the row (a whole column name with dots is that column), with the keys below."""
    if src in row:
        yield [], [src]
        return
    prefix, rest = _split(src.split("."))
    for place in _places(row, prefix, []):
        if _peek(_walk(row, place), rest, _MISSING) is not _MISSING:
            yield place, rest


def _places(obj: Any, prefix: list[str], place: Place) -> Iterator[Place]:
    """The concrete places (list indices filled in) of a path prefix such as `events.*` that the object has."""
    if not prefix:
        yield place
        return
    key, *rest = prefix
    if key == "*" and isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _places(item, rest, [*place, i])
    elif key != "*" and isinstance(obj, dict) and key in obj:
        yield from _places(obj[key], rest, [*place, key])


def _peek(obj: Any, keys: list[str], absent: Any = None) -> Any:
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            return absent
        obj = obj[key]
    return obj


def _walk(obj: Any, place: Place) -> Any:
    for key in place:
        obj = obj[key]
    return obj


def _set(obj: Any, keys: list[str], value: Any, place: Place) -> None:
    for i, key in enumerate(keys[:-1]):
        obj = obj.setdefault(key, {}) if isinstance(obj, dict) else None
        if not isinstance(obj, dict):
            raise FieldError(_name([*place, *keys[: i + 1]]), "expected an object to hold the mapped field")
    if not isinstance(obj, dict):
        raise FieldError(_name(place), "expected an object to hold the mapped field")
    obj[keys[-1]] = value


def _name(place: Place) -> str:
    """`events[2].subtype`: a place as messages name fields."""
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in place).removeprefix(".") or "<record>"
