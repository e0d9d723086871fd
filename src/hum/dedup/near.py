"""The fuzzy pass: near-duplicate instructions, and near-instruction conflicts, within each input cluster.

Only records still kept after the exact pass, in clusters where at least two of them remain, are compared; their
normalised texts come from the spill the first pass wrote, not from the input files. A cluster's texts are held
only from its first such record to its last (known from the first pass), and the clusters open at once are
bounded: past the bound the oldest are set aside on disk and checked at the end, one at a time.
Texts are held and compared as `similar.Bounded`: at most `similar.MAX_CHARS` characters each, so one pair costs
a bounded time even when an instruction or answer is megabytes long.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from tqdm import tqdm

from hum.dedup.keys import Parts
from hum.dedup.plan import CONFLICT, KEEP, NEAR_INPUT, NEAR_INSTRUCTION, NEAR_SAME, Conflict, Plan
from hum.dedup.scan import Scan
from hum.dedup.similar import Bounded, near, same_words, within_reach
from hum.dedup.spill import Int64Spill, Spill


@dataclass
class Open:
    """The kept records of one cluster so far: index, input id, instruction+answer (its full length too), instruction.

    `where` is each record's location in the text spill, so the cluster can be set aside and read back; `chars`
    counts the characters held.
    """

    index: list[int] = field(default_factory=list)
    input: list[int] = field(default_factory=list)
    where: list[int] = field(default_factory=list)
    pair: list[str] = field(default_factory=list)  # `Bounded.text`, a plain list for `process.extract`
    pair_length: list[int] = field(default_factory=list)
    instruction: list[Bounded] = field(default_factory=list)
    chars: int = 0

    def add(self, index: int, input_id: int, where: int, pair: Bounded, instruction: Bounded) -> None:
        self.index.append(index)
        self.input.append(input_id)
        self.where.append(where)
        self.pair.append(pair.text)
        self.pair_length.append(pair.length)
        self.instruction.append(instruction)
        self.chars += len(pair.text) + len(instruction.text) + HELD_OVERHEAD


_BATCH = 1 << 16  # set-aside records turned into Python ints at a time
HELD_OVERHEAD = 200  # bytes of Python objects per held record beside its characters, counted against the bound


def to_check(scan: Scan, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Which records the fuzzy pass reads (kept, in a cluster with another kept one) and where each cluster ends."""
    cluster, kept = scan.cluster, plan.action == KEEP
    count = np.bincount(cluster[kept], minlength=len(scan.root))
    wanted = kept & (count[cluster] > 1)
    last = np.full(len(scan.root), -1, dtype=np.int64)
    np.maximum.at(last, cluster[wanted], np.flatnonzero(wanted))
    return wanted, last


@dataclass(frozen=True)
class Fuzzy:
    """What the fuzzy pass compares with: the ratio threshold, and the texts of every record in the spill of `scan`."""

    threshold: float
    texts: Spill
    deferred: Path  # where clusters set aside go
    bound: int  # characters (plus HELD_OVERHEAD per record) of open clusters held at most

    def bounded(self, instruction: str, answer: str) -> tuple[Bounded, Bounded]:
        """The record's instruction+answer and instruction, as compared."""
        return Bounded.of(Parts(instruction, "", answer).pair), Bounded.of(instruction)


def near_pass(scan: Scan, plan: Plan, fuzzy: Fuzzy, progress: bool = False) -> None:
    """Mark near-duplicates and near-instruction conflicts, in stream order.

    A record is compared with the kept records of its cluster: instruction+answer at `threshold` (rapidfuzz
    ratio) with the same words in the instruction (`same_words`) makes it a near-duplicate, over the same input
    or over a near-copy one. Else, over the very same input, such an instruction with another answer is a conflict.
    Requests without input text all ask over the same (absent) input: their clusters are near-copy instructions.
    Texts longer than `similar.MAX_CHARS` are compared by their prefix+suffix, once their lengths allow a match.

    Clusters are independent, so memory stays bounded: when the open clusters hold more than `fuzzy.bound`, the
    oldest are set aside on disk (their records and every later one of theirs) and checked at the end, one
    cluster at a time, with the same comparisons in the same order: the plan is the same as without the bound.
    """
    wanted, last = to_check(scan, plan)
    cluster = scan.cluster
    groups: dict[int, Open] = {}
    aside = np.zeros(len(scan.root), dtype=bool)
    held = 0
    deferred = Int64Spill(fuzzy.deferred, 4)  # cluster, index, input id, text location
    bar = tqdm(total=int(wanted.sum()), desc="dedup: near", unit="rec", mininterval=1.0, disable=not progress)
    try:
        for i, (where, (instruction, answer)) in enumerate(fuzzy.texts.entries()):
            if not wanted[i]:
                continue
            bar.update()
            group, input_id = int(cluster[i]), scan.asked_over(i)
            if aside[group]:
                deferred.add(group, i, input_id, where)
                continue
            kept = groups.setdefault(group, Open())
            held -= kept.chars
            _check(plan, kept, (i, input_id, where), fuzzy.bounded(instruction, answer), fuzzy.threshold)
            held += kept.chars
            if last[group] == i:
                held -= kept.chars
                del groups[group]
            while held > fuzzy.bound and groups:  # the oldest open clusters are set aside, each with its kept records
                oldest = next(iter(groups))
                evicted = groups.pop(oldest)
                held -= evicted.chars
                aside[oldest] = True
                for row in zip(evicted.index, evicted.input, evicted.where, strict=True):
                    deferred.add(oldest, *row)
        _deferred(plan, deferred.array(), fuzzy)
    finally:
        bar.close()
        deferred.close()


def _deferred(plan: Plan, rows: np.ndarray, fuzzy: Fuzzy) -> None:
    """The clusters set aside, one at a time, each one's records in stream order, texts read back from the spill."""
    order = np.lexsort((rows[:, 1], rows[:, 0]))
    kept, current = Open(), -1
    for start in range(0, len(order), _BATCH):
        for group, i, input_id, where in rows[order[start : start + _BATCH]].tolist():
            if group != current:
                kept, current = Open(), group
            instruction, answer = fuzzy.texts.at(where)
            _check(plan, kept, (i, input_id, where), fuzzy.bounded(instruction, answer), fuzzy.threshold)


def _check(plan: Plan, kept: Open, record: tuple[int, int, int], texts: tuple[Bounded, Bounded], threshold: float) -> None:
    """Compare record (index, input id, text location) with the kept records of its cluster; keep it or mark it."""
    i, input_id, where = record
    pair, instruction = texts
    matches = process.extract(pair.text, kept.pair, scorer=fuzz.ratio, score_cutoff=threshold, limit=None) if kept.pair else []
    found = [k for _, _, k in matches if _duplicate(kept, k, pair, instruction, threshold)]
    if found:
        j = kept.index[found[0]]
        plan.remove(i, NEAR_SAME if kept.input[found[0]] == input_id else NEAR_INPUT, j)
    elif (j := _near_instruction(kept, input_id, instruction, threshold)) >= 0:
        plan.remove(i, CONFLICT, j)
        plan.conflicts.append(Conflict(j, i, NEAR_INSTRUCTION))
    else:
        kept.add(i, input_id, where, pair, instruction)


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
