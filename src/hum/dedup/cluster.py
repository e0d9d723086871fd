"""The fuzzy pass inside one input cluster: each record compared with the kept records before it, in stream order.

Clusters are independent: a cluster's edits depend on its own records' texts alone, so clusters run wherever the
texts are (a runner's worker handed them with its task, or the parent reading back the set-aside ones) and in any order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from hum.dedup.keys import Parts
from hum.dedup.plan import CONFLICT, NEAR_INPUT, NEAR_SAME
from hum.dedup.similar import Bounded, near, same_words, within_reach
from hum.dedup.spill import decoded

Edit = tuple[int, int, int]  # a record removed: its index, its action (NEAR_SAME, NEAR_INPUT or CONFLICT), what it refers to


@dataclass
class Open:
    """The kept records of one cluster so far: index, input id, instruction+answer (its full length too), instruction."""

    index: list[int] = field(default_factory=list)
    input: list[int] = field(default_factory=list)
    pair: list[str] = field(default_factory=list)  # `Bounded.text`, a plain list for `process.extract`
    pair_length: list[int] = field(default_factory=list)
    instruction: list[Bounded] = field(default_factory=list)

    def add(self, index: int, input_id: int, pair: Bounded, instruction: Bounded) -> None:
        self.index.append(index)
        self.input.append(input_id)
        self.pair.append(pair.text)
        self.pair_length.append(pair.length)
        self.instruction.append(instruction)


def bounded(instruction: str, answer: str) -> tuple[Bounded, Bounded]:
    """A record's instruction+answer and instruction, as compared."""
    return Bounded.of(Parts(instruction, "", answer).pair), Bounded.of(instruction)


def verified(records: Iterable[tuple[int, int, bytes]], threshold: float) -> list[Edit]:
    """The edits of one whole cluster, given its records (index, input id, text spill entry) in stream order."""
    kept, edits = Open(), list[Edit]()
    for i, input_id, blob in records:
        instruction, answer = decoded(blob, 2)
        if (edit := check(kept, (i, input_id), bounded(instruction, answer), threshold)) is not None:
            edits.append(edit)
    return edits


def check(kept: Open, record: tuple[int, int], texts: tuple[Bounded, Bounded], threshold: float) -> Edit | None:
    """Compare record (index, input id) with the kept records of its cluster: its edit, or None when it is kept (added)."""
    i, input_id = record
    pair, instruction = texts
    matches = process.extract(pair.text, kept.pair, scorer=fuzz.ratio, score_cutoff=threshold, limit=None) if kept.pair else []
    found = [k for _, _, k in matches if _duplicate(kept, k, pair, instruction, threshold)]
    if found:
        return i, NEAR_SAME if kept.input[found[0]] == input_id else NEAR_INPUT, kept.index[found[0]]
    if (j := _near_instruction(kept, input_id, instruction, threshold)) >= 0:
        return i, CONFLICT, j
    kept.add(i, input_id, pair, instruction)
    return None


def _duplicate(kept: Open, k: int, pair: Bounded, instruction: Bounded, threshold: float) -> bool:
    """Whether a ratio match with kept record k is a near-duplicate: same instruction words, full lengths in reach.

    Only pairs clipped to `similar.MAX_CHARS` can match by ratio yet fail the length bound of their full texts.
    """
    in_reach = within_reach(pair.length, kept.pair_length[k], threshold)
    return in_reach and same_words(instruction.text, kept.instruction[k].text)


def _near_instruction(kept: Open, input_id: int, instruction: Bounded, threshold: float) -> int:
    """The first kept record over the same input whose instruction is near and has the same words (-1: none)."""
    for k, other in enumerate(kept.input):
        close = other == input_id and near(instruction, kept.instruction[k], threshold)
        if close and same_words(instruction.text, kept.instruction[k].text):
            return kept.index[k]
    return -1
