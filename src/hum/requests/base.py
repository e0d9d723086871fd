"""What every gold request kind shares: the `Ask` it yields, its base class and the gold look-ups it needs.

A kind derives a free-form request from a record's gold annotation and computes the answer from it, so an
instruction-generalist record is right by construction; a kind returns None rather than ask anything ambiguous.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from hum.draws import Draws
from hum.instructions import LIST_SEP
from hum.io import Record
from hum.tasks.event import ROLE

YES_NO = {"en": ("Yes", "No"), "zh": ("是", "否")}
UNITS = {  # (singular, plural) of what a label names per task; the only wording outside the phrasing files
    "en": {"ner": ("entity", "entities"), "ee": ("event", "events"), "re": ("relation", "relations")},
    "zh": {"ner": ("实体", "实体"), "ee": ("事件", "事件"), "re": ("关系", "关系")},
}


@dataclass(frozen=True)
class Ask:
    """A request kind, the values its phrasing names, and the answer: exactly the assistant message."""

    kind: str
    slots: dict[str, str]
    answer: str


class Kind:
    """Base class: a kind names its seed tasks and slots, and writes `ask`."""

    name: ClassVar[str]
    tasks: ClassVar[frozenset[str]]
    slots: ClassVar[tuple[str, ...]]  # every phrasing of the kind names exactly these
    spans: ClassVar[bool] = True  # whether the answer is text the request must not contain (not yes/no, a count or a choice)

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        """The request over `record` and its computed answer, or None when the record does not support this kind."""
        raise NotImplementedError

    def made(self, answer: str, **slots: str) -> Ask:
        """An `Ask` of this kind (slots checked against the kind's, a programming error otherwise)."""
        if set(slots) != set(self.slots):
            raise KeyError(f"{self.name}: slots {sorted(slots)} differ from {sorted(self.slots)}")
        return Ask(self.name, slots, answer)


def types(labelset: list[str]) -> list[str]:
    """Labels that name entity, relation or event types (event roles share the label set under a prefix)."""
    return [lab for lab in labelset if not lab.startswith(ROLE)]


def distinct(items: Iterable[Record]) -> list[Record]:
    """Spans once each by (start, end), in text order (outer first)."""
    return sorted({(i["start"], i["end"]): i for i in items}.values(), key=lambda i: (i["start"], -i["end"]))


def texts_in_order(items: Iterable[Record]) -> list[str]:
    """Distinct span texts by first mention: a list answer, one item per line."""
    return list(dict.fromkeys(i["text"] for i in distinct(items)))


def listed(text: str, items: list[str]) -> str | None:
    """Items one per line, when each is one line and their first occurrences in the text come in the same order."""
    firsts = [text.find(i) for i in items]
    sound = bool(items) and -1 not in firsts and firsts == sorted(set(firsts)) and not any("\n" in i for i in items)
    return "\n".join(items) if sound else None


def once(text: str, part: str) -> bool:
    """Whether `part` occurs exactly once in `text` (no other mention, not even inside a longer word)."""
    return bool(part.strip()) and text.count(part) == 1


def pick_label(gold: Iterable[str], labelset: list[str], rng: random.Random, p_present: float) -> str | None:
    """A gold label with chance `p_present` (or when no label is absent), else one absent from the gold (keyed by label)."""
    draws = Draws.from_rng(rng)
    present = sorted(set(gold) & set(labelset))
    absent = [lab for lab in labelset if lab not in set(present)]
    pool = present if present and (not absent or draws.chance("present", p_present)) else absent
    return draws.pick("label", pool) if pool else None


def options(gold: str, labelset: list[str], rng: random.Random, lang: str) -> str | None:
    """The gold label among 1 to 4 other labels, shuffled, as a list to choose from (None: nothing to choose).

    Options are ranked by keyed weights, so a label added to the label set only ever takes a place it wins.
    """
    draws = Draws.from_rng(rng)
    others = [lab for lab in labelset if lab != gold]
    if not others:
        return None
    taken = draws.order("option", others)[: draws.rng("options").randint(1, 4)]
    return LIST_SEP[lang].join(draws.order("order", [gold, *taken]))
