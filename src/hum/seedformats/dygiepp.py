"""DyGIE++ document JSON lines, as DyGIE++, PURE and PL-Marker publish SciERC, ACE05, GENIA and others.

A line is a document: `doc_key`, `sentences` (lists of tokens) and, one sublist per sentence, `ner` ([start, end,
type]), `relations` ([start1, end1, start2, end2, type]) and `events` ([[trigger, type], [start, end, role], ...]),
all with inclusive token indices counted over the whole document. Each sentence becomes one record (id
`<doc_key>-<sentence index>`), its offsets counted in its own tokens, end exclusive: the tasks are sentence-level, and
every annotation of the format lies inside one sentence. Coreference `clusters` and `predicted_*` fields are not read.
A document that cannot be read is its line's error; an annotation outside its sentence is its sentence's error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hum.errors import HumInputError
from hum.io import Record, jsonl_lines
from hum.seedformats.base import Located
from hum.seedformats.fields import FieldError, label, offset
from hum.storage import Location

ANNOTATIONS = ("ner", "relations", "events")


def dygiepp(path: Location) -> Iterator[Located]:
    """One record per sentence of each document line."""
    for lineno, doc in jsonl_lines(path):
        where = f"line {lineno}"
        if isinstance(doc, HumInputError):
            yield where, doc
            continue
        try:
            sentences = _sentences(doc)
        except FieldError as exc:
            yield where, HumInputError(path, where, exc.field, exc.problem)
            continue
        start = 0
        for i, tokens in enumerate(sentences):
            at = f"{where} sentences[{i}]"
            try:
                yield at, _sentence(doc, i, tokens, start)
            except FieldError as exc:
                yield at, HumInputError(path, at, exc.field, exc.problem)
            start += len(tokens)


def _sentences(doc: Record) -> list[list[str]]:
    """The document's sentences, after checking what the whole document must have right."""
    if not isinstance(doc.get("doc_key"), str | int):
        raise FieldError("doc_key", f"expected the document's key, got {doc.get('doc_key')!r}")
    sentences = doc.get("sentences")
    if not isinstance(sentences, list) or not sentences:
        raise FieldError("sentences", f"expected a list of sentences, got {sentences!r}")
    for i, tokens in enumerate(sentences):
        if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
            raise FieldError(f"sentences[{i}]", "expected a list of non-empty tokens")
    for key in ANNOTATIONS:
        if key in doc and (not isinstance(doc[key], list) or len(doc[key]) != len(sentences)):
            raise FieldError(key, f"expected one list per sentence ({len(sentences)}), got {doc[key]!r}"[:200])
    return sentences


def _sentence(doc: Record, i: int, tokens: list[str], start: int) -> Record:
    """Sentence `i`, its annotations moved from document token indices to its own."""
    inside = _Inside(start, len(tokens), i)
    row: Record = {"id": f"{doc['doc_key']}-{i}", "tokens": tokens}
    if "ner" in doc:
        row["entities"] = [
            {**inside.span(e[:2], f"ner[{i}][{j}]"), "type": label(e[2], f"ner[{i}][{j}]")}
            for j, e in enumerate(_entries(doc["ner"][i], 3, f"ner[{i}]"))
        ]
    if "relations" in doc:
        row["relations"] = [
            {
                "type": label(r[4], f"relations[{i}][{j}]"),
                "head": inside.span(r[0:2], f"relations[{i}][{j}]"),
                "tail": inside.span(r[2:4], f"relations[{i}][{j}]"),
            }
            for j, r in enumerate(_entries(doc["relations"][i], 5, f"relations[{i}]"))
        ]
    if "events" in doc:
        events = _entries(doc["events"][i], 0, f"events[{i}]")
        row["events"] = [_event(inside, ev, f"events[{i}][{j}]") for j, ev in enumerate(events)]
    return row


def _event(inside: _Inside, event: list[Any], field: str) -> Record:
    """[[trigger token, type], [start, end, role], ...]: a one-token trigger and its arguments."""
    if not event or not isinstance(event[0], list) or len(event[0]) != 2:  # noqa: PLR2004 - [token, type]
        raise FieldError(field, f"expected [[trigger token, type], [start, end, role], ...], got {event!r}")
    trigger, kind = event[0]
    arguments = _entries(event, 3, field, skip=1)
    return {
        "type": label(kind, f"{field}[0]"),
        "trigger": inside.span([trigger, trigger], f"{field}[0]"),
        "arguments": [
            {"role": label(arg[2], f"{field}[{k}]"), **inside.span(arg[:2], f"{field}[{k}]")}
            for k, arg in enumerate(arguments, start=1)
        ],
    }


def _entries(value: Any, size: int, field: str, skip: int = 0) -> list[list[Any]]:
    """A list of annotations from index `skip` on, each a list of `size` items (any number when 0)."""
    if not isinstance(value, list):
        raise FieldError(field, f"expected a list, got {value!r}")
    for j, entry in enumerate(value[skip:], start=skip):
        if not isinstance(entry, list) or (size and len(entry) != size):
            raise FieldError(f"{field}[{j}]", f"expected a list of {size or 'some'} items, got {entry!r}")
    return value[skip:]


class _Inside:
    """The token range of one sentence in its document."""

    def __init__(self, start: int, length: int, index: int) -> None:
        self.start, self.length, self.index = start, length, index

    def span(self, bounds: list[Any], field: str) -> dict[str, int]:
        """Inclusive document indices [first, last] as the sentence's own [start, end)."""
        first, last = offset(bounds[0], field), offset(bounds[1], field)
        if not self.start <= first <= last < self.start + self.length:
            where = f"tokens {self.start} to {self.start + self.length - 1}"
            raise FieldError(field, f"tokens [{first}, {last}] are not inside sentence {self.index} ({where} of the document)")
        return {"start": first - self.start, "end": last - self.start + 1}
