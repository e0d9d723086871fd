"""Event extraction: triggers typed by event, then the role-labelled arguments of one given event."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import ClassVar

from hum.io import Record
from hum.tasks.base import Draw, Query, Row, Span, Task, as_draw, char_span

ROLE = "role:"  # roles share the dataset's one label set with event types; this prefix tells them apart there


def mentions(pairs: Iterable[tuple[str, Record]]) -> list[Row]:
    """(label, span text) rows in text order, one per labelled span: events annotated twice on a span list it once."""
    found = {(span["start"], -span["end"], label): span["text"] for label, span in pairs}
    return [(label, found[start, neg_end, label]) for start, neg_end, label in sorted(found)]


class EE(Task):
    """`triggers` asks for (type, trigger); `arguments` gives an event's type and trigger and asks for (role, argument)."""

    name = "ee"
    subtasks: ClassVar[tuple[str, ...]] = ("triggers", "arguments")

    def spans(self, record: Record) -> list[Span]:
        spans = []
        for i, ev in enumerate(record["events"]):
            spans.append(char_span(ev["trigger"], f"events[{i}].trigger", ev["type"]))
            spans += [char_span(a, f"events[{i}].arguments[{j}]", ROLE + a["role"]) for j, a in enumerate(ev["arguments"])]
        return spans

    def bare(self, record: Record) -> bool:
        return not record["events"]

    def query(self, record: Record, labels: Draw | list[str], rng: random.Random, subtask: str) -> Query:
        draw, events = as_draw(labels), record["events"]
        if subtask == "arguments" and events:
            with_arguments = [e for e in events if e["arguments"]]  # an event without any is an empty answer unasked for
            chosen = rng.choice(events if draw.empty or not with_arguments else with_arguments)
            key = (chosen["type"], chosen["trigger"]["text"])  # all the instruction states, so every such event answers
            args = mentions((a["role"], a) for e in events if (e["type"], e["trigger"]["text"]) == key for a in e["arguments"])
            roles = [lab.removeprefix(ROLE) for lab in draw.labelset if lab.startswith(ROLE)]
            schema = draw.over(roles).schema([r[0] for r in args], rng)
            rows = [r for r in args if r[0] in schema]
            slots = {"event_type": key[0], "trigger": key[1]}
            return Query(self.name, subtask, ("role", "argument"), rows, schema, "role", slots)
        triggers = mentions((e["type"], e["trigger"]) for e in events)
        schema = draw.over([lab for lab in draw.labelset if not lab.startswith(ROLE)]).schema([r[0] for r in triggers], rng)
        rows = [r for r in triggers if r[0] in schema]
        return Query(self.name, "triggers", ("type", "trigger"), rows, schema, "type")
