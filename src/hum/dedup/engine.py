"""The dedup step: keys, input clusters, fuzzy pass, policy, then one ordered pass that writes.

Survivors are deterministic: the first record of every duplicate group in stream order (the order of the
stage's inputs) is kept, and every removal names its reason and the id it duplicates (`duplicate_of`).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

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
from hum.io import Record
from hum.step import Step

Kind = Literal["kept", "removed", "conflict"]
MEMORY_MB = 256  # what dedup's growing state holds before it spills (open clusters, input-key map, text cache)
MAP_ENTRY = 100  # bytes of one entry of the input-key map (a dict of two ints)


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
        for kind, item in self.run(ListSource(batch)):
            if kind == "kept":
                kept.append(item)
            elif kind == "removed":
                self.rejected.append(item)
            else:
                self.conflicts.append(item)
        return kept

    def run(self, source: Source, progress: bool = False, scratch: Path | None = None) -> Iterator[tuple[Kind, Record]]:
        """Every record in order, as kept or removed (with reason and `duplicate_of`), and each conflict line.

        Spill files live in a temporary folder inside `scratch` (default: the system's), removed before writing.
        """
        with tempfile.TemporaryDirectory(prefix="dedup-", dir=scratch) as tmp:
            folder = Path(tmp)
            index = InputIndex(self.hasher, self.input_threshold, folder, cache_chars=self.memory // 4)
            with Spill(folder / "texts.spill", 2) as texts, Spill(folder / "inputs.spill", 1) as inputs:
                try:
                    scanned = scan(source, index, (texts, inputs), max(1, self.memory // 4 // MAP_ENTRY), progress)
                finally:
                    index.close()
                plan = exact_plan(scanned)
                near_pass(scanned, plan, Fuzzy(self.threshold, texts, folder / "deferred.i64", self.memory // 2), progress)
        apply_policy(plan, self.policy)
        self._count_copies("inputs", scanned, ~scanned.request)
        if scanned.request.any():
            self._count_copies("requests", scanned, scanned.request)
        self.stats.update(Counter(f"conflicts: {c.kind}" for c in plan.conflicts))
        yield from self._write(source, scanned, plan, progress)

    def _count_copies(self, kind: str, scanned: Scan, chosen: np.ndarray) -> None:
        """How many distinct inputs (or requests without input) there are, and how many are near copies of another."""
        copies = scanned.root[chosen] != np.flatnonzero(chosen)
        self.stats.update({f"{kind}: distinct": int(chosen.sum()), f"{kind}: near copies": int(copies.sum())})

    def _write(self, source: Source, keys: Scan, plan: Plan, progress: bool) -> Iterator[tuple[Kind, Record]]:
        """The ordered last pass; ids of referred-to records are held only until their last reference."""
        groups: dict[int, list[tuple[int, str]]] = {}
        for c in plan.conflicts:
            groups.setdefault(c.first, []).append((c.other, c.kind))
        index = np.arange(len(plan.ref))
        targets, counts = np.unique(plan.ref[(plan.ref >= 0) & (plan.ref < index)], return_counts=True)
        pending, ids = dict(zip(targets.tolist(), counts.tolist(), strict=True)), dict[int, str]()
        merged: set[int] = set()
        bar = tqdm(source.records(), total=len(index), desc="dedup: write", unit="rec", mininterval=1.0, disable=not progress)
        for i, _, record in bar:
            action, ref, out, later = int(plan.action[i]), int(plan.ref[i]), record, dict[int, Record]()
            if i in groups:
                later = {o: source.at(int(keys.location[o])) for o, _ in groups[i]}
                others = [(later[o], kind) for o, kind in groups.pop(i)]
                settled = settle(record, others, self.policy, action == KEEP)
                self.stats[f"conflict actions: {settled.action.split(' ')[0]}"] += len(others)
                for line in settled.lines:
                    yield "conflict", line
                if settled.merged:
                    merged.add(i)
                    out = settled.record or record
            if i in pending:
                ids[i] = record["id"]
            if action == KEEP:
                yield "kept", out
                continue
            reason = REASONS[MERGED if action == CONFLICT and ref in merged else action]
            self.stats[f"rejected: {reason}"] += 1
            duplicate_of = later[ref]["id"] if ref > i else ids[ref]  # only a dropped first conflict refers forward
            yield "removed", {"duplicate_of": duplicate_of, "reason": reason, "record": record}
            if ref < i:
                pending[ref] -= 1
                if not pending[ref]:
                    del pending[ref], ids[ref]

    def summary(self) -> str:
        """The step's line, and how many conflicts were found."""
        found = sum(n for k, n in self.stats.items() if k.startswith("conflicts: "))
        return f"{super().summary()}; {found} conflicts ({self.policy})"
