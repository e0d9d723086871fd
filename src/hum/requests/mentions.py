"""Requests about entity mentions: which of two comes first, what type one has (chosen from options)."""

from __future__ import annotations

import random

from hum.io import Record
from hum.requests.base import Ask, Kind, once, options, types


class WhichFirst(Kind):
    """Which of two entities, each occurring once and neither inside the other, is mentioned first."""

    name = "which_first"
    tasks = frozenset({"ner"})
    slots = ("a", "b")
    spans = False

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        text = record["text"]
        unique = sorted({e["text"] for e in record["entities"] if once(text, e["text"])})
        pairs = [(a, b) for a in unique for b in unique if a < b and a not in b and b not in a]
        if not pairs:
            return None
        a, b = rng.sample(rng.choice(pairs), k=2)  # either may be named first
        return self.made(min(a, b, key=text.index), a=a, b=b)


class TypeOf(Kind):
    """The type of an entity whose every gold mention has the same type, chosen from options."""

    name = "type_of"
    tasks = frozenset({"ner"})
    slots = ("entity", "options")
    spans = False

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        typed: dict[str, set[str]] = {}
        for e in record["entities"]:
            typed.setdefault(e["text"], set()).add(e["type"])
        single = sorted(t for t, labels in typed.items() if len(labels) == 1)
        if not single:
            return None
        entity = rng.choice(single)
        label = next(iter(typed[entity]))
        choice = options(label, types(labelset), rng, lang)
        return None if choice is None else self.made(label, entity=entity, options=choice)
