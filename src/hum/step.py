"""One contract for every stage: a batch of records in, a batch out; the base does the loop and the counts."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from hum.io import Record, atomic_dir, atomic_open, dumps, write_json
from hum.provenance import write_manifest

T = TypeVar("T")
SHOWN = 10  # schema problems quoted in a failure message


class StageError(RuntimeError):
    """A stage's output broke a guard (record schema, reject rate): raised before anything is published."""


class Step:
    """Subclasses write `process`; rejected records go through `reject` with a reason."""

    name = "step"
    max_reject_rate: float | None = None  # share of input records the stage may reject before it fails; None: no limit
    checks_records = False  # True when `process` itself holds back every record that breaks the record schema

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

    def metrics(self) -> dict[str, Any]:
        """What the manifest and `metrics/<name>.json` report: the counts, and whatever a subclass measures besides."""
        return dict(self.stats)

    def reasons(self) -> Counter[str]:
        """Rejected records per reason."""
        return Counter({k.removeprefix("rejected: "): n for k, n in self.stats.items() if k.startswith("rejected: ")})

    def summary(self) -> str:
        """One line: counts in, out, rejected and the top reasons."""
        reasons = self.reasons()
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


def run_step(
    step: Step,
    records: Iterable[Record],
    out: Path,
    quarantine: Path,
    batch_size: int = 256,
    *,
    check: Callable[[list[Record]], None] | None = None,
) -> None:
    """Write what a step keeps (after `check`, which raises on a bad batch) and what it rejects, both atomically."""
    with atomic_open(out) as good, atomic_open(quarantine) as bad, tqdm(desc=step.name, unit="rec", mininterval=1.0) as bar:
        for batch in batched(records, batch_size):
            kept, rejected = step(batch)
            if check is not None:
                check(kept)
            good.writelines(dumps(r) + "\n" for r in kept)
            bad.writelines(dumps(r) + "\n" for r in rejected)
            bar.update(len(batch))
    print(step.summary())


def record_guard(stage: str) -> Callable[[list[Record]], None]:
    """Raises `StageError` naming record id, field and problem when a batch breaks the record schema."""
    from hum.schemas import RecordCheck  # noqa: PLC0415 - pandera loads only for stages that publish records, not the CLI

    check = RecordCheck()

    def guard(batch: list[Record]) -> None:
        problems = check(batch)
        if problems:
            shown = "; ".join(f"id {rid}, {field}: {problem}" for rid, field, problem in problems[:SHOWN])
            more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
            raise StageError(f"[{stage}] output breaks the record schema, nothing published: {shown}{more}")

    return guard


def check_reject_rate(step: Step) -> None:
    """Raises `StageError` when the step rejected more than `max_reject_rate` of its input: a sign of a bug upstream."""
    limit, seen, reasons = step.max_reject_rate, step.stats["in"], step.reasons()
    if limit is None or not seen or reasons.total() / seen <= limit:
        return
    rate = reasons.total() / seen
    raise StageError(
        f"[{step.name}] rejected {reasons.total()} of {seen} records ({rate:.2%}), over {step.name}.max_reject_rate "
        f"= {limit:.2%}; nothing published. Top reasons: {top_reasons(reasons, 5)}"
    )


def run_stage(
    step: Step, records: Iterable[Record], out: Path, rejects: str, params: dict[str, Any], *, model: str | None
) -> None:
    """A step's whole stage: `instructions.jsonl`, its rejects and manifest in `out` (atomically), and metrics.

    Every kept batch must pass the record schema and the step its reject-rate limit, or nothing is published.
    """
    with atomic_dir(out) as tmp:
        guard = None if step.checks_records else record_guard(step.name)  # no second pass over what the step checked
        run_step(step, records, tmp / "instructions.jsonl", tmp / rejects, check=guard)
        check_reject_rate(step)
        write_manifest(tmp, step.name, params, step.metrics(), model)
    write_json(f"metrics/{step.name}.json", step.metrics())
