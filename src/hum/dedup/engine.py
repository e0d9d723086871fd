"""The dedup step: keys, input clusters, fuzzy pass, policy, then one ordered pass that writes.

Survivors are deterministic: the first record of every duplicate group in stream order (the order of the
stage's inputs) is kept, and every removal names its reason and the id it duplicates (`duplicate_of`). The
per-record work of the passes runs on a runner's workers (see `work`), the rest here, in order: the same survivors
and the same bytes on any runner.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm import tqdm

from hum.dedup.conflicts import settle
from hum.dedup.lsh import InputIndex
from hum.dedup.minhash import MinHasher
from hum.dedup.near import Fuzzy, near_pass
from hum.dedup.plan import CONFLICT, KEEP, MERGED, POLICIES, REASONS, Plan, Policy, apply_policy, exact_plan
from hum.dedup.scan import Scan, scan
from hum.dedup.sources import ListSource, Source
from hum.dedup.spill import Spill
from hum.dedup.work import BATCH, LinesOf, Rendered, Work, removal
from hum.io import Record, dumps
from hum.runners import Pool, Runner, Runs, mapped
from hum.runners.local import Local
from hum.step import Step

Kind = Literal["kept", "removed", "conflict"]
MEMORY_MB = 256  # what dedup's growing state holds before it spills (open clusters, input-key map, text cache)
MAP_ENTRY = 100  # bytes of one entry of the input-key map (a dict of two ints)


@dataclass
class Written:
    """One batch of the ordered last pass: the JSON lines of each file, and what the stage's guard checks of the kept."""

    lines: dict[Kind, list[str]] = field(default_factory=lambda: {"kept": [], "removed": [], "conflict": []})
    ids: list[Any] = field(default_factory=list)  # of the kept records
    digests: bytearray = field(default_factory=bytearray)  # of the kept records' ids (`hum.schemas.id_digests`)
    rewritten: list[Record] = field(default_factory=list)  # kept records dedup changed (a merged answer)

    def keep(self, line: str, rid: Any, digest: bytes) -> None:
        self.lines["kept"].append(line)
        self.ids.append(rid)
        self.digests += digest

    def keep_run(self, rendered: Rendered, start: int, end: int) -> None:
        """Keep the records `start:end` of a batch as the worker wrote them."""
        self.lines["kept"] += rendered.lines[start:end]
        self.ids += rendered.ids[start:end]
        self.digests += rendered.digests[8 * start : 8 * end]


@dataclass
class Refs:
    """What the ordered pass carries from record to record: conflict groups to settle, first records merged, held ids.

    The id of a record that later ones refer to is held only until its last reference (`pending` counts them).
    """

    groups: dict[int, list[tuple[int, str]]]
    pending: dict[int, int]
    ids: dict[int, Any] = field(default_factory=dict)
    merged: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, plan: Plan) -> Refs:
        groups: dict[int, list[tuple[int, str]]] = {}
        for c in plan.conflicts:
            groups.setdefault(c.first, []).append((c.other, c.kind))
        earlier = (plan.ref >= 0) & (plan.ref < np.arange(len(plan.ref)))
        targets, counts = np.unique(plan.ref[earlier], return_counts=True)
        return cls(groups, dict(zip(targets.tolist(), counts.tolist(), strict=True)))

    def special(self, plan: Plan) -> np.ndarray:
        """Per record, whether the last pass looks at it: removed, first of a conflict group, or referred to later."""
        special: np.ndarray = plan.action != KEEP
        special[list(self.groups)] = True
        special[list(self.pending)] = True
        return special

    def met(self, i: int, rid: Any) -> None:
        """Record i, with id `rid`, was read: hold its id if a later record refers to it."""
        if i in self.pending:
            self.ids[i] = rid

    def id_of(self, ref: int) -> Any:
        """The id of earlier record `ref`, for one of the records that refer to it (the last one lets it go)."""
        rid = self.ids[ref]
        self.pending[ref] -= 1
        if not self.pending[ref]:
            del self.pending[ref], self.ids[ref]
        return rid


class Dedup(Step):
    """Removes exact copies, near-duplicate instructions over one input and over near-copy inputs; settles conflicts.

    `process` dedups one in-memory batch on its own; the stage runs `run` over its files, which keeps memory flat.
    After either, `conflicts` holds the conflict report lines of the last run.
    """

    name = "dedup"

    def __init__(
        self,
        *,
        threshold: float = 95,
        input_threshold: float = 90,
        shingle: int = 5,
        num_perm: int = 128,
        bands: int = 32,
        rows: int = 4,
        conflicts: Policy = "keep_first",
        memory_mb: float = MEMORY_MB,
    ) -> None:
        super().__init__()
        if conflicts not in POLICIES:
            raise ValueError(f"dedup.conflicts must be one of {POLICIES}, not {conflicts!r}")
        if memory_mb < 0:
            raise ValueError("dedup.memory_mb must be >= 0")
        self.threshold, self.input_threshold, self.policy = threshold, input_threshold, conflicts
        self.hasher = MinHasher(num_perm, shingle, bands, rows)
        self.memory = int(memory_mb * 2**20)
        self.conflicts: list[Record] = []

    def process(self, batch: list[Record]) -> list[Record]:
        kept, self.conflicts = [], []
        for written in self.run(ListSource(batch)):
            kept += [json.loads(line) for line in written.lines["kept"]]
            self.rejected += [json.loads(line) for line in written.lines["removed"]]
            self.conflicts += [json.loads(line) for line in written.lines["conflict"]]
        return kept

    def run(
        self, source: Source, runner: Runner | None = None, progress: bool = False, scratch: Path | None = None
    ) -> Iterator[Written]:
        """Every record in order, kept or removed (with reason and `duplicate_of`), and each conflict line, batch by batch.

        The per-record work runs on `runner` (default: this process), the rest here (see `work`): the same bytes on
        any runner. Spill files live in a temporary folder inside `scratch` (default: the system's), removed before writing.
        """
        with (runner or Local(1)).pool(Work(source, self.hasher)) as pool:
            with tempfile.TemporaryDirectory(prefix="dedup-", dir=scratch) as tmp:
                scanned, plan = self._plan(pool, source, Path(tmp), progress)
            apply_policy(plan, self.policy)
            self._count_copies("inputs", scanned, ~scanned.request)
            if scanned.request.any():
                self._count_copies("requests", scanned, scanned.request)
            self.stats.update(Counter(f"conflicts: {c.kind}" for c in plan.conflicts))
            yield from self._write(pool, source, scanned, plan, progress)

    def _plan(self, pool: Pool[Runs[Any], Any], source: Source, folder: Path, progress: bool) -> tuple[Scan, Plan]:
        """Keys and input clusters, then the exact and the fuzzy pass: what happens to each record but the policy."""
        index = InputIndex(self.hasher, self.input_threshold, folder, cache_chars=self.memory // 4)
        with Spill(folder / "texts.spill", 2) as texts, Spill(folder / "inputs.spill", 1) as inputs:
            try:
                scanned = scan(
                    source, pool, index, (texts, inputs), max_inputs=max(1, self.memory // 4 // MAP_ENTRY), progress=progress
                )
            finally:
                index.close()
            plan = exact_plan(scanned)
            fuzzy = Fuzzy(self.threshold, texts, folder / "deferred.i64", self.memory // 2)
            near_pass(scanned, plan, fuzzy, pool, progress)
        return scanned, plan

    def _count_copies(self, kind: str, scanned: Scan, chosen: np.ndarray) -> None:
        """How many distinct inputs (or requests without input) there are, and how many are near copies of another."""
        copies = scanned.root[chosen] != np.flatnonzero(chosen)
        self.stats.update({f"{kind}: distinct": int(chosen.sum()), f"{kind}: near copies": int(copies.sum())})

    def _write(self, pool: Pool[Runs[Any], Any], source: Source, keys: Scan, plan: Plan, progress: bool) -> Iterator[Written]:
        """The ordered last pass over the records as the workers wrote them (`work.LinesOf`), a batch at a time.

        Most records are kept as they are, referred to by none: they go over in runs, between the few that need a look.
        """
        refs, start = Refs.of(plan), 0
        plain = ~refs.special(plan)
        bar = tqdm(total=len(plan.ref), desc="dedup: write", unit="rec", mininterval=1.0, disable=not progress)
        for rendered in mapped(pool, source.tasks(LinesOf, BATCH)):
            end, written, done = start + len(rendered.lines), Written(), 0
            for pos in np.flatnonzero(~plain[start:end]).tolist():
                written.keep_run(rendered, done, pos)
                self._one(start + pos, (rendered, pos), (source, keys, plan, refs), written)
                done = pos + 1
            written.keep_run(rendered, done, len(rendered.lines))
            bar.update(end - start)
            start = end
            yield written
        bar.close()

    def _one(self, i: int, at: tuple[Rendered, int], state: tuple[Source, Scan, Plan, Refs], written: Written) -> None:
        """Record i (position `pos` of its batch `rendered`), which is removed, kept but settled, or referred to later."""
        (rendered, pos), (source, keys, plan, refs) = at, state
        action, ref, rid, line = int(plan.action[i]), int(plan.ref[i]), rendered.ids[pos], rendered.lines[pos]
        later, out = dict[int, Record](), line
        if i in refs.groups:
            later = {o: source.at(int(keys.location[o])) for o, _ in refs.groups[i]}
            others = [(later[o], kind) for o, kind in refs.groups.pop(i)]
            if (rewritten := self._settle(source.at(int(keys.location[i])), others, action, written)) is not None:
                refs.merged.add(i)
                out = rewritten
        refs.met(i, rid)
        if action == KEEP:
            written.keep(out, rid, rendered.digests[8 * pos : 8 * (pos + 1)])
            return
        reason = REASONS[MERGED if action == CONFLICT and ref in refs.merged else action]
        self.stats[f"rejected: {reason}"] += 1
        duplicate_of = later[ref]["id"] if ref > i else refs.id_of(ref)  # only a dropped first conflict refers forward
        written.lines["removed"].append(removal(duplicate_of, reason, line))

    def _settle(self, first: Record, others: list[tuple[Record, str]], action: int, written: Written) -> str | None:
        """Settle one conflict group by the policy into `written`; the first record's line if it was merged, else None."""
        settled = settle(first, others, self.policy, action == KEEP)
        self.stats[f"conflict actions: {settled.action.split(' ')[0]}"] += len(others)
        written.lines["conflict"] += [dumps(line) for line in settled.lines]
        if not settled.merged or settled.record is None:
            return None
        written.rewritten.append(settled.record)
        return dumps(settled.record)

    def summary(self) -> str:
        """The step's line, and how many conflicts were found."""
        found = sum(n for k, n in self.stats.items() if k.startswith("conflicts: "))
        return f"{super().summary()}; {found} conflicts ({self.policy})"
