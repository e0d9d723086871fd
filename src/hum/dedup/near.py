"""The fuzzy pass: near-duplicate instructions, and near-instruction conflicts, within each input cluster.

Only records still kept after the exact pass, in clusters where at least two of them remain, are read again.
A cluster's texts are held only from its first such record to its last (known from the first pass), so
memory follows the clusters open at once, not the corpus (records over one input come together in practice).
Texts are held and compared as `similar.Bounded`: at most `similar.MAX_CHARS` characters each, so one pair costs
a bounded time even when an instruction or answer is megabytes long.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from tqdm import tqdm

from hum.dedup.keys import Parts
from hum.dedup.plan import CONFLICT, KEEP, NEAR_INPUT, NEAR_INSTRUCTION, NEAR_SAME, Conflict, Plan
from hum.dedup.scan import Scan
from hum.dedup.similar import Bounded, near, same_words, within_reach
from hum.dedup.sources import Source


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


def to_check(scan: Scan, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Which records the fuzzy pass reads (kept, in a cluster with another kept one) and where each cluster ends."""
    cluster, kept = scan.cluster, plan.action == KEEP
    count = np.bincount(cluster[kept], minlength=len(scan.root))
    wanted = kept & (count[cluster] > 1)
    last = np.full(len(scan.root), -1, dtype=np.int64)
    np.maximum.at(last, cluster[wanted], np.flatnonzero(wanted))
    return wanted, last


def near_pass(source: Source, scan: Scan, plan: Plan, threshold: float, progress: bool = False) -> None:
    """Mark near-duplicates and near-instruction conflicts, in stream order.

    A record is compared with the kept records of its cluster: instruction+answer at `threshold` (rapidfuzz
    ratio) with the same words in the instruction (`same_words`) makes it a near-duplicate, over the same input
    or over a near-copy one. Else, over the very same input, such an instruction with another answer is a conflict.
    Requests without input text all ask over the same (absent) input: their clusters are near-copy instructions.
    Texts longer than `similar.MAX_CHARS` are compared by their prefix+suffix, once their lengths allow a match.
    """
    wanted, last = to_check(scan, plan)
    cluster = scan.cluster
    groups: dict[int, Open] = {}
    total = int(wanted.sum())
    bar = tqdm(source.records(wanted), total=total, desc="dedup: near", unit="rec", mininterval=1.0, disable=not progress)
    for i, _, record in bar:
        parts, group, input_id = Parts.of(record, with_input=False), int(cluster[i]), scan.asked_over(i)
        pair, instruction = Bounded.of(parts.pair), Bounded.of(parts.instruction)
        kept = groups.setdefault(group, Open())
        matches = process.extract(pair.text, kept.pair, scorer=fuzz.ratio, score_cutoff=threshold, limit=None)
        found = [k for _, _, k in matches if _duplicate(kept, k, pair, instruction, threshold)]
        if found:
            j = kept.index[found[0]]
            plan.remove(i, NEAR_SAME if kept.input[found[0]] == input_id else NEAR_INPUT, j)
        elif (j := _near_instruction(kept, input_id, instruction, threshold)) >= 0:
            plan.remove(i, CONFLICT, j)
            plan.conflicts.append(Conflict(j, i, NEAR_INSTRUCTION))
        else:
            kept.add(i, input_id, pair, instruction)
        if last[group] == i:
            del groups[group]


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
