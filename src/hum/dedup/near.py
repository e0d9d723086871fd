"""The fuzzy pass: near-duplicate instructions, and near-instruction conflicts, within each input cluster.

Only records still kept after the exact pass, in clusters where at least two of them remain, are compared; their
normalised texts come from the spill the first pass wrote, not from the input files. This process reads the spill
in order and gathers each cluster's records from its first such record to its last (known from the first pass);
whole clusters go, a batch of them at a time and their texts with them, to the runner's workers (`work.NearOf`,
the comparisons of `cluster`), and their edits come back in the order the clusters were sent. The clusters open at
once are bounded: past the bound the oldest are set aside on disk and checked here at the end, one at a time.
Texts are held and compared as `similar.Bounded`: at most `similar.MAX_CHARS` characters each, so one pair costs
a bounded time even when an instruction or answer is megabytes long.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from hum.dedup.cluster import Edit, Open, bounded, check
from hum.dedup.plan import CONFLICT, KEEP, NEAR_INSTRUCTION, Conflict, Plan
from hum.dedup.scan import Scan
from hum.dedup.spill import Int64Spill, Spill
from hum.dedup.work import NearOf
from hum.runners import Pool, Runs, mapped

_BATCH = 1 << 16  # records whose arrays are turned into Python ints at a time (read in order, or set aside)
HELD_OVERHEAD = 200  # bytes of Python objects per held record beside its spill entry, counted against the bound
CLUSTER_RECORDS = 2048  # records of whole clusters per task: enough comparisons that handing them over costs little
CLUSTER_BYTES = 1 << 22  # or this many bytes of their texts, whichever comes first


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
    bound: int  # bytes of texts (plus HELD_OVERHEAD per record) of open clusters held at most


@dataclass
class Gathered:
    """The records of the open clusters (index, input id, spill location, spill entry) and the bytes they hold."""

    open: dict[int, list[tuple[int, int, int, bytes]]] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)  # what each open cluster counts against the bound
    held: int = 0
    done: list[list[tuple[int, int, bytes]]] = field(default_factory=list)  # whole clusters not yet sent
    done_records: int = 0
    done_bytes: int = 0

    def add(self, group: int, record: tuple[int, int, int, bytes], complete: bool) -> None:
        """One more record of a cluster; a complete cluster moves to the next task."""
        size = len(record[3]) + HELD_OVERHEAD
        self.held += size
        if group in self.open:
            self.open[group].append(record)
            self.sizes[group] += size
        else:
            self.open[group], self.sizes[group] = [record], size
        if complete:
            records, size = self.open.pop(group), self.sizes.pop(group)
            self.held -= size
            self.done.append([(i, input_id, blob) for i, input_id, _, blob in records])
            self.done_records += len(records)
            self.done_bytes += size - HELD_OVERHEAD * len(records)

    def set_aside(self) -> tuple[int, list[tuple[int, int, int, bytes]]]:
        """The oldest open cluster and its records so far, no longer held here."""
        group = next(iter(self.open))
        self.held -= self.sizes.pop(group)
        return group, self.open.pop(group)

    @property
    def ready(self) -> bool:
        """Whether the whole clusters gathered make a task big enough to send."""
        return self.done_records >= CLUSTER_RECORDS or self.done_bytes >= CLUSTER_BYTES

    def task(self, threshold: float) -> NearOf:
        """The whole clusters gathered so far, as one task (and none held here any more)."""
        task = NearOf(threshold, self.done)
        self.done, self.done_records, self.done_bytes = [], 0, 0
        return task


def near_pass(scan: Scan, plan: Plan, fuzzy: Fuzzy, pool: Pool[Runs[Any], Any], progress: bool = False) -> None:
    """Mark near-duplicates and near-instruction conflicts, cluster by cluster, each cluster's records in stream order.

    A record is compared with the kept records of its cluster: instruction+answer at `threshold` (rapidfuzz
    ratio) with the same words in the instruction (`same_words`) makes it a near-duplicate, over the same input
    or over a near-copy one. Else, over the very same input, such an instruction with another answer is a conflict.
    Requests without input text all ask over the same (absent) input: their clusters are near-copy instructions.
    Texts longer than `similar.MAX_CHARS` are compared by their prefix+suffix, once their lengths allow a match.

    Clusters are independent, so memory stays bounded: when the open clusters hold more than `fuzzy.bound`, the
    oldest are set aside on disk (their records and every later one of theirs) and checked at the end, one
    cluster at a time, with the same comparisons in the same order: the plan is the same as without the bound, and
    whichever process compared (`apply_policy` sorts the conflicts).
    """
    wanted, last = to_check(scan, plan)
    deferred = Int64Spill(fuzzy.deferred, 4)  # cluster, index, input id, text location
    bar = tqdm(total=int(wanted.sum()), desc="dedup: near", unit="rec", mininterval=1.0, disable=not progress)
    try:
        for edits in mapped(pool, _tasks(scan, (wanted, last), fuzzy, deferred, bar)):
            for edit in edits:
                _apply(plan, edit)
        _deferred(plan, deferred.array(), fuzzy)
    finally:
        bar.close()
        deferred.close()


def _tasks(
    scan: Scan, checked: tuple[np.ndarray, np.ndarray], fuzzy: Fuzzy, deferred: Int64Spill, bar: tqdm[Any]
) -> Iterator[NearOf]:
    """The spill read in order into whole clusters, sent in batches; the oldest open ones set aside past the bound.

    `checked` is `to_check`'s answer: which records to read, and each cluster's last one.
    """
    aside, gathered, blobs = set[int](), Gathered(), fuzzy.texts.blobs()
    for start in range(0, len(checked[0]), _BATCH):
        rows = _rows(scan, checked, start, itertools.islice(blobs, _BATCH))
        for i, group, input_id, complete, (where, blob) in rows:
            if group in aside:
                deferred.add(group, i, input_id, where)
                continue
            gathered.add(group, (i, input_id, where, blob), complete)
            while gathered.held > fuzzy.bound and gathered.open:  # the oldest open clusters are set aside, with their records
                oldest, records = gathered.set_aside()
                aside.add(oldest)
                for j, other_input, location, _ in records:
                    deferred.add(oldest, j, other_input, location)
            if gathered.ready:
                yield gathered.task(fuzzy.threshold)
        bar.update(int(checked[0][start : start + _BATCH].sum()))
    if gathered.done:
        yield gathered.task(fuzzy.threshold)


def _rows(
    scan: Scan, checked: tuple[np.ndarray, np.ndarray], start: int, blobs: Iterable[tuple[int, bytes]]
) -> Iterator[tuple[int, int, int, bool, tuple[int, bytes]]]:
    """The records to read among _BATCH from `start` on: index, cluster, input asked over, whether it ends its cluster, entry.

    `blobs` holds the spill entries of those _BATCH records, read or not. The arrays become Python values a batch at a
    time, not looked up record by record.
    """
    wanted, last = checked[0][start : start + _BATCH], checked[1]
    index = np.arange(start, start + len(wanted))
    inputs = scan.input[start : start + len(wanted)]
    group, asked = scan.root[inputs], np.where(scan.request[inputs], -1, inputs)  # every request without input asks over -1
    columns = zip(
        wanted.tolist(), index.tolist(), group.tolist(), asked.tolist(), (last[group] == index).tolist(), blobs, strict=True
    )
    for want, i, cluster, input_id, ends, entry in columns:
        if want:
            yield i, cluster, input_id, ends, entry


def _apply(plan: Plan, edit: Edit) -> None:
    """Remove a record as the comparisons of its cluster said; a conflict is also listed with its first record."""
    i, action, j = edit
    plan.remove(i, action, j)
    if action == CONFLICT:
        plan.conflicts.append(Conflict(j, i, NEAR_INSTRUCTION))


def _deferred(plan: Plan, rows: np.ndarray, fuzzy: Fuzzy) -> None:
    """The clusters set aside, one at a time, each one's records in stream order, texts read back from the spill."""
    order = np.lexsort((rows[:, 1], rows[:, 0]))
    kept, current = Open(), -1
    for start in range(0, len(order), _BATCH):
        for group, i, input_id, where in rows[order[start : start + _BATCH]].tolist():
            if group != current:
                kept, current = Open(), group
            instruction, answer = fuzzy.texts.at(where)
            if (edit := check(kept, (i, input_id), bounded(instruction, answer), fuzzy.threshold)) is not None:
                _apply(plan, edit)
