"""What every task knows: its record fields, how one annotation becomes queries, and their gold rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hum.draws import Draws
from hum.io import Record

Row = tuple[str, ...]
KEEP_GOLD = 0.8  # chance each gold label is stated when not aiming at an empty answer (one at least is)


@dataclass(frozen=True)
class Span:
    """A character span of a record's text, kept for offset validation."""

    field: str
    start: int
    end: int
    text: str
    label: str | None = None


@dataclass
class Query:
    """One thing an instruction asks of a text, with the gold rows that answer it (in text order)."""

    task: str
    subtask: str
    columns: tuple[str, ...]
    rows: list[Row]
    labels: list[str] = field(default_factory=list)
    label_column: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    offsets: list[tuple[int, int]] = field(default_factory=list)  # character span of each row, when rows are spans


class Task:
    """Base class: a concrete task sets its names and writes `queries` (and `spans` if it has offsets)."""

    name: ClassVar[str]
    subtasks: ClassVar[tuple[str, ...]]
    labelled: ClassVar[bool] = True  # whether instructions show a label schema drawn from the dataset's labels
    single: ClassVar[frozenset[str]] = frozenset()  # sub-tasks whose answer holds one item at most, so it is worded for one

    def query(self, record: Record, labels: Draw | list[str], rng: random.Random, subtask: str) -> Query:
        """Build the query for `subtask` over `record`; its labels are drawn from `labels` (see `Draw`)."""
        raise NotImplementedError

    def spans(self, record: Record) -> list[Span]:
        """Every labelled character span, so offsets and labels can be validated generically."""
        return []

    def bare(self, record: Record) -> bool:
        """Whether the record has no gold at all, so every query on it has an empty answer."""
        return False

    def labels_of(self, record: Record) -> list[str]:
        """Labels used by a record, to check them against the dataset's label set."""
        return [s.label for s in self.spans(record) if s.label is not None]


@dataclass(frozen=True)
class Draw:
    """How a query draws its labels: from the dataset's label set, aiming at an empty answer or not.

    `empty` asks for a schema (or a single label) absent from the text when the label set allows it;
    otherwise at least one gold label is stated. A share `p_hard` of distractors are hard negatives:
    labels close to a gold label by name or guideline text (`neighbours`), as IEPile draws them.
    Every choice among labels is keyed by the label (`hum.draws`), so a label added to the label set
    changes only the draws it wins: a schema without it stays as it was.
    """

    labelset: list[str]
    empty: bool = False
    p_hard: float = 0.0
    neighbours: dict[str, list[str]] = field(default_factory=dict)

    def over(self, labelset: list[str]) -> Draw:
        """The same aims over another label set (event roles, say)."""
        return Draw(labelset, self.empty, self.p_hard, self.neighbours)

    def one(self, gold: list[str], rng: random.Random) -> str:
        """A single asked label: a gold one, or a distractor when aiming at an empty answer (or none is gold)."""
        draws, golden = Draws.from_rng(rng), set(gold)
        present = sorted(golden & set(self.labelset))
        absent = [lab for lab in self.labelset if lab not in golden]
        if present and (not self.empty or not absent):
            return draws.pick("one", present)
        return self._distractors(present, absent, 1, draws)[0]

    def schema(self, gold: list[str], rng: random.Random, *, keep_all_gold: bool = False) -> list[str]:
        """Some gold labels plus distractors absent from the text, shuffled; only distractors when aiming empty."""
        draws = Draws.from_rng(rng)
        golden = set(gold)
        gold_set = sorted(golden)
        others = [lab for lab in self.labelset if lab not in golden]
        if keep_all_gold:
            kept = gold_set
        elif self.empty and others:
            kept = []
        else:
            kept = [g for g in gold_set if draws.chance("keep", KEEP_GOLD, g)]
            if gold_set and not kept:
                kept = [draws.pick("kept", gold_set)]
        size = max(len(kept) + 1, min(len(self.labelset), draws.rng("size").randint(2, 6)))
        return draws.order("order", kept + self._distractors(gold_set, others, size - len(kept), draws))

    def _distractors(self, gold: list[str], others: list[str], k: int, draws: Draws) -> list[str]:
        """`k` labels from `others`: each a hard negative (a gold label's neighbour) with chance `p_hard`.

        Hard and other candidates are ranked by their own keyed weights and each slot tosses its own coin,
        so a label added to `others` is either taken or changes nothing. Either ranking is worked out when a slot
        first needs it: the coins often leave one of them unused.
        """
        ranked: dict[str, list[str]] = {}
        picked: list[str] = []
        for slot in range(min(k, len(others))):
            hard = []
            if draws.chance("hard", self.p_hard, slot):
                if "neighbour" not in ranked:
                    ranked["neighbour"] = draws.order("neighbour", self._hard(gold, others))
                hard = [h for h in ranked["neighbour"] if h not in picked]
            if not hard and "distractor" not in ranked:
                ranked["distractor"] = draws.order("distractor", others)
            picked.append((hard or [o for o in ranked["distractor"] if o not in picked])[0])
        return picked

    def _hard(self, gold: list[str], others: list[str]) -> dict[str, None]:
        """The hard negatives among `others`: the gold labels' neighbours, once each, in order."""
        allowed = set(others)
        return dict.fromkeys(n for g in gold for n in self.neighbours.get(g, []) if n in allowed)


def as_draw(labels: Draw | list[str]) -> Draw:
    """A plain label set draws as before: no empty aim, no hard negatives."""
    return labels if isinstance(labels, Draw) else Draw(list(labels))


def char_span(item: dict[str, Any], fieldname: str, label: str | None = None) -> Span:
    """Span from an item carrying `start`, `end` and `text`."""
    return Span(fieldname, int(item["start"]), int(item["end"]), str(item["text"]), label)
