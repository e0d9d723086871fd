"""BRAT standoff documents: a `.txt` file and its annotations (`.ann`; BioNLP's `.a1` and `.a2` with `annotations`).

A dataset config names a folder of them, a document's file, or a list of either (local, or URLs of one filesystem:
`hum.storage.Tree`). Each document becomes one record, its id and location its path without suffix relative to the
folder holding all configured paths ("doc1" in one folder, "train/doc1" for [corpus/train, corpus/dev]). Its text is
exactly the `.txt` file's, so that the annotation offsets hold; the usual load normalisation (line ends, NFC) follows
with the offsets moved. Text-bound annotations that are event triggers become `triggers`, all others `entities` (a
discontinuous one with its `fragments`); relations and events point at them by id, and an event argument that is
another event (`Theme:E1`) points at that event's trigger.
A document with any problem (a missing text file, bad bytes, a broken line) is one error, placed on its line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import PurePath

from hum.errors import HumInputError
from hum.io import BOM, Record, text_lines
from hum.seedformats.base import Located
from hum.seedformats.standoff import Standoff, TextBound
from hum.storage import Location, Tree


def brat(paths: list[Location], annotations: list[str] | None = None) -> Iterator[Located]:
    """The documents under `paths`, in name order; a path that holds none is a mistake of the config, raised now."""
    suffixes = annotations or [".ann"]
    tree, roots = Tree.of(paths)
    folders = [tree.is_dir(root) for root in roots]  # one question per root: a bucket answers each over the network
    stems = [stem for root, folder in zip(roots, folders, strict=True) for stem in _stems(tree, root, folder, suffixes)]
    base = type(roots[0])(os.path.commonpath([p if folder else p.parent for p, folder in zip(roots, folders, strict=True)]))
    return (_document(tree, stem, stem.relative_to(base).as_posix(), suffixes) for stem in stems)


def _stems(tree: Tree, path: PurePath, folder: bool, suffixes: list[str]) -> list[PurePath]:
    """Documents (paths without suffix) of a folder, or the one document a `.txt` or annotation file belongs to."""
    where = tree.where(path)
    if folder:
        stems = sorted({p.with_name(p.name.removesuffix(p.suffix)) for p in tree.children(path) if p.suffix in suffixes})
        if not stems:
            raise HumInputError(where, "folder", "<file>", f"no annotation files ({', '.join(suffixes)}) in the folder")
        return stems
    if not tree.is_file(path):
        raise HumInputError(where, "file", "<file>", "no such file or folder")
    if path.suffix not in {".txt", *suffixes}:
        raise HumInputError(where, "file", "<file>", f"not a BRAT document (.txt or {', '.join(suffixes)})")
    return [path.with_name(path.name.removesuffix(path.suffix))]


def _document(tree: Tree, stem: PurePath, name: str, suffixes: list[str]) -> Located:
    """One document's record, or its one error (placed on its line when it has one)."""
    try:
        return name, _row(tree, stem, name, suffixes)
    except HumInputError as exc:
        return exc.where if exc.where.startswith("line") else name, exc


def _text(tree: Tree, path: PurePath) -> str:
    """The document's text as written (CR and BOM kept: the offsets count them); bad bytes are placed on their line."""
    data = tree.read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise HumInputError(tree.where(path), f"line {line}", "<encoding>", f"not UTF-8 text ({exc.reason})") from exc


def _row(tree: Tree, stem: PurePath, name: str, suffixes: list[str]) -> Record:
    """The document's record: text, entities, triggers, relations and events, references by id."""
    files = [p for p in (stem.with_name(f"{stem.name}{s}") for s in suffixes) if tree.is_file(p)]
    txt = stem.with_name(f"{stem.name}.txt")
    if not files:
        raise HumInputError(tree.where(txt), "file", "<file>", f"no annotation file ({', '.join(suffixes)}) beside it")
    if not tree.is_file(txt):
        raise HumInputError(tree.where(files[0]), "file", "<file>", f"no text file {txt.name} beside it")
    text = _text(tree, txt)
    skip = 1 if text.startswith(BOM) else 0
    standoff = Standoff()
    for path in map(tree.where, files):
        for lineno, line in text_lines(path):
            if isinstance(line, HumInputError):
                raise line
            if line.strip():
                standoff.add(path, lineno, line, text, skip)
    standoff.check()
    triggers = {trigger for _, trigger, _ in standoff.events.values()}

    def target(ref: str) -> str:  # an event stands for its trigger
        return standoff.events[ref][1] if ref in standoff.events else ref

    return {
        "id": name,
        "text": text[skip:],
        "entities": [_item(i, t, text[skip:]) for i, t in standoff.text_bound.items() if i not in triggers],
        "triggers": [_item(i, t, text[skip:]) for i, t in standoff.text_bound.items() if i in triggers],
        "relations": [
            {"type": k, "head_id": target(a[0][1]), "tail_id": target(a[1][1])} for k, a in standoff.relations.values()
        ],
        "events": [
            {"type": k, "trigger_id": t, "arguments": [{"role": role, "entity_id": target(ref)} for role, ref in args]}
            for k, t, args in standoff.events.values()
        ],
    }


def _item(ident: str, bound: TextBound, text: str) -> Record:
    fragments = [{"start": a, "end": b, "text": text[a:b]} for a, b in bound.fragments]
    return {"id": ident, "type": bound.kind, "text": bound.text, "fragments": fragments}
