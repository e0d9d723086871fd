"""Counting and yes/no requests over the labels of a record: how many mentions, is there one, is it about one."""

from __future__ import annotations

import random

from hum.io import Record
from hum.requests.base import UNITS, YES_NO, Ask, Kind, pick_label, types


def mentions(record: Record) -> dict[str, set[tuple[int, ...]]]:
    """Distinct mentions per label: entity spans, event trigger spans, or relation (head, tail) span pairs."""
    found: dict[str, set[tuple[int, ...]]] = {}
    if record["task"] == "ner":
        for e in record["entities"]:
            found.setdefault(e["type"], set()).add((e["start"], e["end"]))
    elif record["task"] == "ee":
        for ev in record["events"]:
            found.setdefault(ev["type"], set()).add((ev["trigger"]["start"], ev["trigger"]["end"]))
    else:
        for r in record["relations"]:
            found.setdefault(r["type"], set()).add((r["head"]["start"], r["head"]["end"], r["tail"]["start"], r["tail"]["end"]))
    return found


class LabelMentions(Kind):
    """A question about the mentions of one label: a gold label with chance `share`, else one the record lacks."""

    tasks = frozenset({"ner", "ee", "re"})
    spans = False
    share: float

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        found = mentions(record)
        label = pick_label(found, types(labelset), rng, self.share)
        return None if label is None else self.answer(found, label, UNITS[lang][record["task"]], lang)

    def answer(self, found: dict[str, set[tuple[int, ...]]], label: str, units: tuple[str, str], lang: str) -> Ask:
        """The answer about `label` given the record's mentions; `units` names one mention and several."""
        raise NotImplementedError


class Count(LabelMentions):
    """How many mentions of a label: mostly a gold label, sometimes an absent one (answer 0)."""

    name = "count"
    slots = ("label", "units")
    share = 0.8

    def answer(self, found: dict[str, set[tuple[int, ...]]], label: str, units: tuple[str, str], lang: str) -> Ask:
        return self.made(str(len(found.get(label, ()))), label=label, units=units[1])


class Exists(LabelMentions):
    """Whether a label is mentioned at all: a gold or an absent label, about half each."""

    name = "exists"
    slots = ("label", "unit")
    share = 0.5

    def answer(self, found: dict[str, set[tuple[int, ...]]], label: str, units: tuple[str, str], lang: str) -> Ask:
        return self.made(YES_NO[lang][label not in found], label=label, unit=units[0])


class About(Kind):
    """Whether a class label applies to the text (a gold or an absent label, about half each)."""

    name = "about"
    tasks = frozenset({"cls"})
    slots = ("label",)
    spans = False

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        label = pick_label(record["labels"], labelset, rng, 0.5)
        return None if label is None else self.made(YES_NO[lang][label not in record["labels"]], label=label)
