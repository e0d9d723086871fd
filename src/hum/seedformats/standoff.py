"""BRAT standoff annotation lines (`.ann`, or BioNLP's `.a1`/`.a2`), checked against their document's text.

`T1<TAB>Type 0 5;10 15<TAB>text` is a text-bound annotation (fragments `;`-separated, offsets in characters of the
`.txt` file as written); `R1<TAB>Type Arg1:T1 Arg2:T2` a relation (first argument the head); `E1<TAB>Type:T3 Role:T1
Role2:E2` an event with its trigger and arguments (role names kept as written, `Theme2` included). `A`/`M`
attributes, `N` normalisations, `*` equivalences and `#` notes have no place in a task record: their references are
checked and they are not read further. Every problem is an error on its line, naming the annotation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NoReturn

from hum.errors import HumInputError
from hum.storage import Location

Ref = tuple[str, str]  # (role, annotation id)
_OFFSETS = re.compile(r"\d+ \d+(;\d+ \d+)*")
_ROLE_REF = re.compile(r"([^:\s]+):([^:\s]+)")


@dataclass(frozen=True)
class TextBound:
    """A `T` annotation: its type, fragments [(start, end)] and text."""

    kind: str
    fragments: list[tuple[int, int]]
    text: str


@dataclass
class Standoff:
    """The annotations of one document, as read from its annotation files."""

    text_bound: dict[str, TextBound] = field(default_factory=dict)
    relations: dict[str, tuple[str, list[Ref]]] = field(default_factory=dict)
    events: dict[str, tuple[str, str, list[Ref]]] = field(default_factory=dict)  # id -> (type, trigger id, arguments)
    lines: dict[str, tuple[Location, int]] = field(default_factory=dict)
    refs: list[tuple[_Fail, list[str]]] = field(default_factory=list)  # each line's references, checked at the end

    def add(self, path: Location, lineno: int, line: str, text: str, skip: int) -> None:
        """One annotation line; `skip` characters at the start of `text` (a byte-order mark) hold no annotation."""
        ident, _, rest = line.rstrip("\r\n").partition("\t")
        body, _, quoted = rest.partition("\t")
        fail, kind, words = _Fail(path, lineno, ident), ident[:1], body.split()
        if ident in self.lines and ident != "*":
            fail(f"the id is already used on line {self.lines[ident][1]}")
        self.lines[ident] = (path, lineno)
        if kind == "T":
            self.text_bound[ident] = _text_bound(body, quoted, text, skip, fail)
        elif kind == "R":
            args = [_role_ref(a, fail) for a in words[1:]]
            if len(args) != 2:  # noqa: PLR2004 - a relation has two ends
                fail(f"a relation needs two arguments, has {len(args)}")
            self.relations[ident] = (words[0], args)
            self.refs.append((fail, [ref for _, ref in args]))
        elif kind == "E" and words:
            (name, trigger), *args = [_role_ref(a, fail) for a in words]
            self.events[ident] = (name, trigger, args)
            self.refs.append((fail, [ref for _, ref in args]))
        elif kind in {"A", "M", "N", "#", "*"} and len(words) > 1:
            self.refs.append((fail, words[1:] if kind == "*" else words[1:2]))
        else:
            fail("not a BRAT annotation line (T, R, E, A, M, N, # or * with its fields)")

    def check(self) -> None:
        """Every reference names an annotation of this document; every trigger is a text-bound one."""
        for ident, (_, trigger, _) in self.events.items():
            if trigger not in self.text_bound:
                _Fail(*self.lines[ident], ident)(f"the trigger {trigger} is no text-bound (T) annotation of this document")
        for fail, refs in self.refs:
            for ref in refs:
                if ref not in self.lines:
                    fail(f"{ref} is no annotation of this document")


class _Fail:
    """Raises the error of one annotation line."""

    def __init__(self, path: Location, lineno: int, ident: str) -> None:
        self.path, self.lineno, self.ident = path, lineno, ident or "<id>"

    def __call__(self, problem: str) -> NoReturn:
        raise HumInputError(self.path, f"line {self.lineno}", self.ident, problem)


def _role_ref(arg: str, fail: _Fail) -> Ref:
    found = _ROLE_REF.fullmatch(arg)
    if found is None:
        fail(f"argument {arg!r} is not Role:Id")
    return found[1], found[2]


def _text_bound(body: str, quoted: str, text: str, skip: int, fail: _Fail) -> TextBound:
    """A `T` line's type and fragments, each inside the text, and its text the text's at those offsets."""
    kind, _, offsets = body.partition(" ")
    if not kind or _OFFSETS.fullmatch(offsets) is None:
        fail(f"expected 'Type start end[;start end...]', got {body!r}")
    fragments = [(int(a), int(b)) for a, b in (part.split(" ") for part in offsets.split(";"))]
    for start, end in fragments:
        if not skip <= start < end <= len(text):
            fail(f"offsets {start} {end} are not a span of the {len(text)}-character text")
    actual = " ".join(text[a:b] for a, b in fragments)
    if quoted and " ".join(quoted.split()) != " ".join(actual.split()):
        fail(f"its text {quoted!r} is not the document's text at {offsets}: {actual!r}")
    return TextBound(kind, [(a - skip, b - skip) for a, b in fragments], quoted or actual)
