"""Requests answered by spans of the text: the entities of a type, an event's arguments of a role, an event's trigger."""

from __future__ import annotations

import random

from hum.draws import Draws
from hum.io import Record
from hum.requests.base import Ask, Kind, distinct, listed, once, texts_in_order


class ListByType(Kind):
    """The distinct entities of one gold type, one per line in order of first mention."""

    name = "list_by_type"
    tasks = frozenset({"ner"})
    slots = ("label",)

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        labels = sorted({e["type"] for e in record["entities"]})
        if not labels:
            return None
        label = Draws.from_rng(rng).pick("label", labels)
        answer = listed(record["text"], texts_in_order(e for e in record["entities"] if e["type"] == label))
        return None if answer is None else self.made(answer, label=label)


class RoleOf(Kind):
    """The arguments of one role of the event(s) of a type triggered by a word that occurs once, in text order."""

    name = "role_of"
    tasks = frozenset({"ee"})
    slots = ("role", "event_type", "trigger")

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        if not record["events"]:
            return None
        chosen = rng.choice(record["events"])
        kind, trigger = chosen["type"], chosen["trigger"]["text"]
        same = [ev for ev in record["events"] if (ev["type"], ev["trigger"]["text"]) == (kind, trigger)]
        args = [a for ev in same for a in ev["arguments"]]
        if not once(record["text"], trigger) or not args:
            return None
        role = Draws.from_rng(rng).pick("role", sorted({a["role"] for a in args}))
        answer = listed(record["text"], texts_in_order(a for a in args if a["role"] == role))
        return None if answer is None else self.made(answer, role=role, event_type=kind, trigger=trigger)


class TriggerOf(Kind):
    """The word that signals the events of a type, when they all share one trigger span."""

    name = "trigger_of"
    tasks = frozenset({"ee"})
    slots = ("label",)

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        labels = sorted({ev["type"] for ev in record["events"]})
        if not labels:
            return None
        label = Draws.from_rng(rng).pick("label", labels)
        triggers = distinct(ev["trigger"] for ev in record["events"] if ev["type"] == label)
        return self.made(triggers[0]["text"], label=label) if len(triggers) == 1 else None
