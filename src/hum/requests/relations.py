"""Requests over relation triples: the relation of a pair (from options), the tail of a head, the head of a tail."""

from __future__ import annotations

import random
from typing import ClassVar

from hum.io import Record
from hum.requests.base import Ask, Kind, options, types


class RelationBetween(Kind):
    """The one relation between a head and a tail, chosen from options; skipped when the pair has several (either way)."""

    name = "relation_between"
    tasks = frozenset({"re"})
    slots = ("head", "tail", "options")
    spans = False

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        if not record["relations"]:
            return None
        rel = rng.choice(record["relations"])
        head, tail = rel["head"]["text"], rel["tail"]["text"]
        found = {r["type"] for r in record["relations"] if {r["head"]["text"], r["tail"]["text"]} == {head, tail}}
        choice = options(rel["type"], types(labelset), rng, lang)
        if head == tail or len(found) != 1 or choice is None:
            return None
        return self.made(rel["type"], head=head, tail=tail, options=choice)


class TailOf(Kind):
    """The tail of a relation from a given head, when exactly one tail text holds it."""

    name = "tail_of"
    tasks = frozenset({"re"})
    slots = ("relation", "head")
    given: ClassVar[str] = "head"  # the end the request names; the other end is the answer
    asked: ClassVar[str] = "tail"

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        if not record["relations"]:
            return None
        rel = rng.choice(record["relations"])
        known = rel[self.given]["text"]
        found = {r[self.asked]["text"] for r in record["relations"] if (r["type"], r[self.given]["text"]) == (rel["type"], known)}
        if len(found) != 1 or known in found:
            return None
        return self.made(found.pop(), relation=rel["type"], **{self.given: known})


class HeadOf(TailOf):
    """The head of a relation to a given tail, when exactly one head text holds it."""

    name = "head_of"
    slots = ("relation", "tail")
    given = "tail"
    asked = "head"
