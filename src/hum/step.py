"""One contract for every stage: a batch of records in, a batch out; the base does the loop and the counts."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from hum.io import Record, atomic_dir, atomic_open, dumps, write_json
from hum.provenance import write_manifest

T = TypeVar("T")


class Step:
    """Subclasses write `process`; rejected records go through `reject` with a reason."""

    name = "step"

    def __init__(self) -> None:
        self.stats: Counter[str] = Counter()
        self.rejected: list[Record] = []

    def process(self, batch: list[Record]) -> list[Record]:
        """Records that go on; plain function of the batch so it can run anywhere (e.g. Ray map_batches)."""
        raise NotImplementedError

    def reject(self, record: Record, reason: str) -> None:
        """Set a record aside with the reason, for the quarantine file."""
        self.stats[f"rejected: {reason}"] += 1
        self.rejected.append({"reason": reason, "record": record})

    def __call__(self, batch: list[Record]) -> tuple[list[Record], list[Record]]:
        """Process one batch, counting it; returns (kept, rejected)."""
        self.stats["in"] += len(batch)
        kept = self.process(batch)
        self.stats["out"] += len(kept)
        rejected, self.rejected = self.rejected, []
        return kept, rejected

    def summary(self) -> str:
        """One line: counts in, out, rejected and the top reasons."""
        reasons = Counter({k.removeprefix("rejected: "): n for k, n in self.stats.items() if k.startswith("rejected: ")})
        detail = f" ({top_reasons(reasons)})" if reasons else ""
        return f"[{self.name}] {self.stats['in']} in, {self.stats['out']} out, {reasons.total()} rejected{detail}"


def top_reasons(reasons: Counter[str], n: int = 3) -> str:
    """The most frequent reject reasons, for one-line summaries."""
    return "; ".join(f"{reason}: {count}" for reason, count in reasons.most_common(n))


def batched(records: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` records."""
    it = iter(records)
    while batch := list(itertools.islice(it, size)):
        yield batch


def run_step(step: Step, records: Iterable[Record], out: Path, quarantine: Path, batch_size: int = 256) -> None:
    """Write what a step keeps and what it rejects, both atomically, with a progress bar and a summary line."""
    with atomic_open(out) as good, atomic_open(quarantine) as bad, tqdm(desc=step.name, unit="rec", mininterval=1.0) as bar:
        for batch in batched(records, batch_size):
            kept, rejected = step(batch)
            good.writelines(dumps(r) + "\n" for r in kept)
            bad.writelines(dumps(r) + "\n" for r in rejected)
            bar.update(len(batch))
    print(step.summary())


def run_stage(
    step: Step, records: Iterable[Record], out: Path, rejects: str, params: dict[str, Any], *, model: str | None
) -> None:
    """A step's whole stage: `instructions.jsonl`, its rejects and manifest in `out` (atomically), and metrics."""
    with atomic_dir(out) as tmp:
        run_step(step, records, tmp / "instructions.jsonl", tmp / rejects)
        write_manifest(tmp, step.name, params, dict(step.stats), model)
    write_json(f"metrics/{step.name}.json", dict(step.stats))
