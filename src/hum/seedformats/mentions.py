"""What relation ends, event triggers and event arguments point at, in whichever way the file names it.

A reference `key` of an object (a relation's `head`, an event's `trigger`, an argument's `entity`) is, in this order:
an object, a span of its own (DyGIE++ relation ends, PHEE triggers); `<key>_id`, the id of an entity (or of a trigger,
as BRAT files give them); an integer, the index of an entity in the row's `entities` (SpERT); a string, the text of
an entity (an error when entities at different places share it). Offsets count as the row counts (`Source`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hum.seedformats.fields import FieldError, items
from hum.seedformats.source import Source

Span = dict[str, Any]


@dataclass(frozen=True)
class Mention:
    """One annotated entity (or trigger): its span, or one per fragment of a discontinuous one."""

    spans: list[Span]
    ident: Any
    text: str


def one_span(spans: list[Span], field: str, what: str) -> Span:
    """The single span a relation end or a trigger needs; a discontinuous one has no verbatim text to answer with."""
    if len(spans) != 1:
        raise FieldError(field, f"{what} needs one contiguous span, found {len(spans)}")
    return spans[0]


class Mentions:
    """A row's entities (and triggers, when the file lists them apart), to resolve references against."""

    def __init__(self, source: Source, entities: Any, triggers: Any = None) -> None:
        self.source = source
        self.entities = [self._mention(e, f"entities[{i}]") for i, e in enumerate(items(entities, "entities"))]
        others = [self._mention(t, f"triggers[{i}]") for i, t in enumerate(items(triggers or [], "triggers"))]
        self.by_id: dict[Any, Mention] = {}
        for m in self.entities + others:
            if m.ident is not None and self.by_id.setdefault(m.ident, m) is not m:
                raise FieldError("entities", f"id {m.ident!r} names two annotations")

    def _mention(self, item: Any, field: str) -> Mention:
        spans = self.source.spans(item, field, required=True)
        given = item.get("text")
        return Mention(spans, item.get("id"), given if isinstance(given, str) else " ".join(s["text"] for s in spans))

    def resolve(self, obj: Any, key: str, field: str) -> list[Span]:
        """The spans `obj[key]` (or `obj[key + "_id"]`) points at."""
        if not isinstance(obj, dict):
            raise FieldError(field.rsplit(".", 1)[0], f"expected an object, got {obj!r}")
        value, ident = obj.get(key), obj.get(f"{key}_id")
        if isinstance(value, dict):
            return self.source.spans(value, field, required=True)
        if ident is not None:
            if ident not in self.by_id:
                raise FieldError(f"{field}_id", f"{ident!r} is the id of none of the record's entities")
            return self.by_id[ident].spans
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < len(self.entities):
                raise FieldError(field, f"entity index {value} is outside the record's {len(self.entities)} entities")
            return self.entities[value].spans
        if isinstance(value, str):
            return self._by_text(value, field)
        raise FieldError(field, "missing" if value is None else f"expected an entity index, id, text or span, got {value!r}")

    def _by_text(self, text: str, field: str) -> list[Span]:
        found = {tuple((s["start"], s["end"]) for s in m.spans): m for m in self.entities if m.text == text}
        if not found:
            raise FieldError(field, f"{text!r} is none of the record's entities")
        if len(found) > 1:
            raise FieldError(field, f"{text!r} is the text of {len(found)} entities at different places; give its index or id")
        return next(iter(found.values())).spans
