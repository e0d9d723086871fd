"""One contract for every stage: a batch of records in, a batch out; the base does the loop, the counts and the workers.

`run_stage` runs a step's batches on worker processes (`hum.cores.data_workers`: one per core, or `HUM_WORKERS`),
each a fork of the parent that inherited the step, or on another runner (`hum.runners`: actors of a Ray cluster, fed
by Ray Data when the input is JSON-lines files, each holding a copy of the step), and writes their results in input
order, so the files are the same bytes for any number of workers and any runner. What a step measures must therefore
add up over batches: each measure is a `Tally` named in `Step.tallies` (the counts in `stats` are one), which workers
hand over batch by batch and the parent merges.
A step whose `process` needs to know which ids came before (Validate quarantines repeats) reads them from `Step.ids`,
which the runner fills in the parent, the one process that sees every batch.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, TypeVar

from tqdm import tqdm

from hum.cores import data_workers
from hum.errors import HumInputError
from hum.io import Record, atomic_dir, atomic_open, dumps, located_lines, parse_line, write_json
from hum.provenance import write_manifest
from hum.runners import Runner
from hum.runners.local import Local
from hum.storage import Location

if TYPE_CHECKING:  # pandera loads only for stages that publish records, not the CLI
    from hum.schemas import RecordCheck

T = TypeVar("T")
SHOWN = 10  # schema problems quoted in a failure message
_JSON = json.JSONDecoder()  # what `json.loads` decodes with
Problem = tuple[int, str, str]  # (position in the batch, field, what is wrong)
LINE_BITS = 40  # a `JsonLines` line's number: its file's index above these bits, its line number in the file below
LINE_MASK = (1 << LINE_BITS) - 1
Line = tuple[int, int, str]  # a `JsonLines` line: its number, its byte offset in its file, its text


class StageError(RuntimeError):
    """A stage's output broke a guard (record schema, reject rate): raised before anything is published."""


class Tally(Protocol):
    """A measure that adds up over batches, so what worker processes measured merges into one in the parent."""

    def merge(self, other: Self) -> None:
        """Add what another copy measured (over other batches)."""

    def empty(self) -> Self:
        """A new tally of the same kind that has measured nothing."""


class Counts(Counter[str]):
    """Counts by name as a `Tally`: merging adds, keys in the order they were first counted."""

    def merge(self, other: Counts) -> None:
        self.update(other)

    def empty(self) -> Counts:
        return Counts()


class Ids(Protocol):
    """Which records of a batch repeat an id met before, earlier in the batch or in an earlier one (`hum.schemas.IdSet`)."""

    def repeated(self, batch: list[Record]) -> list[int]:
        """Positions of the records whose id came before; learns the batch's ids."""
        ...


@dataclass(frozen=True)
class Told:
    """The repeats of one batch as the parent found them: what a worker's copy of a step reads instead of an `IdSet`."""

    positions: list[int]

    def repeated(self, batch: list[Record]) -> list[int]:
        return self.positions


class Step:
    """Subclasses write `process`; rejected records go through `reject` with a reason.

    What a subclass measures besides `stats` must be a `Tally` named in `tallies`, or it would be lost with the
    worker that measured it; per-process caches (anything that does not change the output) need nothing.
    """

    name = "step"
    max_reject_rate: float | None = None  # share of input records the stage may reject before it fails; None: no limit
    checks_records = False  # True when `process` itself holds back every record that breaks the record schema
    filters = False  # True when `process` keeps input records as they are: the stage that wrote them checked them
    batch_size = 1024  # records per batch: bigger ones spread per-batch costs (pandera frames), smaller keep memory low
    tallies: ClassVar[tuple[str, ...]] = ("stats",)  # attributes that are `Tally`s: merged from the workers
    ids: Ids | None = None  # set by a step whose `process` asks which ids came before; the runner answers in the parent

    def __init__(self) -> None:
        self.stats = Counts()
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

    def handover(self) -> dict[str, Tally]:
        """The tallies measured since the last handover, each replaced here by an empty one: a worker's share."""
        taken: dict[str, Tally] = {name: getattr(self, name) for name in self.tallies}
        for name, tally in taken.items():
            setattr(self, name, tally.empty())
        return taken

    def merge(self, tallies: Mapping[str, Tally]) -> None:
        """Take in what a copy of this step handed over (see `handover`)."""
        for name in self.tallies:
            getattr(self, name).merge(tallies[name])

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


@dataclass(frozen=True, init=False)
class JsonLines:
    """JSON-lines files as a stage's input, one after the other, each read as `hum.io.read_jsonl` reads it.

    The records are parsed where their batches run: the parent only splits lines and hands them on, as parsing and
    pickling every record in the one process that feeds all workers would make it the bottleneck of a cheap step.
    A line's number names its file too (the file's index above `LINE_BITS`, the line number below, so one file's
    numbers are its line numbers): a batch may span files, and a bad line is still named by its file and line.
    """

    paths: tuple[Location, ...]
    ID_HEAD: ClassVar[str] = '{"id":"'  # how `hum.io.dumps` opens every record (sorted keys, no spaces)

    def __init__(self, *paths: Location) -> None:
        object.__setattr__(self, "paths", paths)

    def located(self, start: tuple[int, int] = (1, 0)) -> Iterator[Line]:
        """(number, byte offset in its file, text) of every non-blank line, from the one at `start` (number, offset) on.

        A line that is not UTF-8 raises, naming its file and line.
        """
        number, offset = start
        first = number >> LINE_BITS
        for index in range(first, len(self.paths)):
            yield from self._located(index, *((number & LINE_MASK, offset) if index == first else (1, 0)))

    def _located(self, index: int, lineno: int, offset: int) -> Iterator[Line]:
        """The non-blank lines of one file from line `lineno` at byte `offset`, decoded as `hum.io.text_lines` does."""
        base = index << LINE_BITS
        for number, at, line in located_lines(self.paths[index], lineno, offset):
            if isinstance(line, HumInputError):
                raise line
            if line.strip():
                yield base | number, at, line

    def where(self, number: int) -> tuple[Location, int]:
        """The file and line number of a line's number."""
        return self.paths[number >> LINE_BITS], number & LINE_MASK

    def parse(self, lines: list[Line]) -> list[Record]:
        """The records of some of its lines; the first that is not a JSON object raises, naming its file and line."""
        records = []
        for number, _, line in lines:
            record = parse_line(*self.where(number), line)
            if isinstance(record, HumInputError):
                raise record
            records.append(record)
        return records

    def ids(self, lines: list[Line]) -> list[Record]:
        """The records of `lines` as far as the parent needs them to find repeated ids: `{"id": ...}`.

        A line that opens with `ID_HEAD` and holds no other `"id"` and no unicode escape (backslash, u) has no other
        key that JSON reads as `id`, so its id is the string read right there, without parsing the rest. Others are parsed
        whole. A malformed line gets no id: the worker that parses its batch raises, as `parse` does, before any
        answer about it matters.
        """
        heads: list[Record] = []
        for number, _, line in lines:
            if line.startswith(self.ID_HEAD) and line.count('"id"') == 1 and "\\u" not in line:
                with contextlib.suppress(ValueError):
                    heads.append({"id": _JSON.raw_decode(line, len(self.ID_HEAD) - 1)[0]})
                    continue
            record = parse_line(*self.where(number), line)
            heads.append({} if isinstance(record, HumInputError) else record)
        return heads


@dataclass(frozen=True)
class Outcome:
    """One batch's work as the parent writes it: JSON lines, a worker's tallies, and what the record guard found."""

    size: int  # records in
    kept: str  # JSON lines
    rejected: str
    tallies: dict[str, Tally] | None = None  # from a worker; None when the parent's step did the work itself
    problems: list[Problem] = field(default_factory=list)  # kept records that break the record schema, repeats aside
    names: list[str] = field(default_factory=list)  # repr of each kept id, for messages
    digests: bytes = b""  # `id_digests` of the kept ids, for the parent's check that they are unique


class BatchWork:
    """What one batch goes through, in the parent or in a worker: the step, the record guard's per-batch part, JSON."""

    def __init__(self, step: Step, check: RecordCheck | None, source: JsonLines | None, *, worker: bool) -> None:
        self.step, self.check, self.source, self.worker = step, check, source, worker

    def __call__(self, task: tuple[list[Any], list[int] | None]) -> Outcome:
        items, repeated = task  # records, or lines of the `source` files
        batch = items if self.source is None else self.source.parse(items)
        if repeated is not None:
            self.step.ids = Told(repeated)
        kept, rejected = self.step(batch)
        lines = "".join(dumps(r) + "\n" for r in kept), "".join(dumps(r) + "\n" for r in rejected)
        tallies = self.step.handover() if self.worker else None
        if self.check is None:
            return Outcome(len(batch), *lines, tallies)
        return Outcome(len(batch), *lines, tallies, self.check.rows(kept), *self.check.identify(kept))


def run_step(
    step: Step,
    records: Iterable[Record] | JsonLines,
    out: Path,
    quarantine: Path,
    *,
    runner: Runner,
    guarded: bool = True,
) -> None:
    """Write what a step keeps (checked by the record guard when `guarded`) and what it rejects, both atomically.

    Batches run on `runner`, at most two per worker in flight; in this process (no pool at all) when the input is a
    single batch. The files are the same bytes for any runner.
    """
    check = _record_check() if guarded else None
    source = records if isinstance(records, JsonLines) else None
    batches: Iterator[list[Any]] = batched(records.located() if isinstance(records, JsonLines) else records, step.batch_size)
    head = list(itertools.islice(batches, 2))
    runner = runner if len(head) > 1 else Local(1)
    told = step.ids if runner.remote else None  # the parent's own `Ids` answers for the workers' copies
    tasks = Tasks(itertools.chain(head, batches), told, source, step.batch_size)
    pool = runner.pool(BatchWork(step, check, source, worker=runner.remote), setup=step.handover)
    with pool, atomic_open(out) as good, atomic_open(quarantine) as bad, tqdm(desc=step.name, unit="rec", mininterval=1.0) as bar:
        for outcome in pool.map(tasks):
            if outcome.tallies is not None:
                step.merge(outcome.tallies)
            if check is not None and (problems := check.named(outcome.problems, outcome.names, outcome.digests)):
                raise StageError(schema_failure(step.name, problems))
            good.write(outcome.kept)
            bad.write(outcome.rejected)
            bar.update(outcome.size)
    print(step.summary())


@dataclass(frozen=True)
class Tasks:
    """A step's batches as a pool takes them, each with the positions of its records whose id came before, if told.

    `told` answers for a step's workers (see `Step.ids`). Finding the repeats needs the ids, so the parent reads them
    from the lines of such a step's batches (`JsonLines.ids`). A runner that reads a `source` itself (Ray Data,
    `hum.runners.ray_data`) makes the same batches of `size` lines from it, and asks `told` about them, instead of
    iterating `batches`. `make`, when given, makes each batch's task of the batch alone (a pass of dedup), in place
    of the pair (batch, repeats) a step's `BatchWork` takes; nothing is told then.
    """

    batches: Iterable[list[Any]]
    told: Ids | None
    source: JsonLines | None
    size: int
    make: Callable[[list[Any]], Any] | None = None

    def __iter__(self) -> Iterator[Any]:
        for batch in self.batches:
            yield self.task(batch, self.repeated(batch))

    def task(self, batch: list[Any], repeated: list[int] | None) -> Any:
        """What a pool's work takes for one batch."""
        return task_of(batch, repeated, self.make)

    def repeated(self, batch: list[Any]) -> list[int] | None:
        """The positions `told` gives for a batch (records, or lines of `source`); None when nothing is told."""
        if self.told is None:
            return None
        return self.told.repeated(batch if self.source is None else self.source.ids(batch))


def task_of(batch: list[Any], repeated: list[int] | None, make: Callable[[list[Any]], Any] | None) -> Any:
    """A batch's task: `make(batch)`, or for a step's `BatchWork` the batch with its repeats."""
    return (batch, repeated) if make is None else make(batch)


def _record_check() -> RecordCheck:
    """The record guard: its per-batch schema runs where the batches do, its ids met so far are checked here."""
    from hum.schemas import RecordCheck  # noqa: PLC0415 - pandera loads only for stages that publish records

    return RecordCheck()


def schema_failure(stage: str, problems: list[tuple[str, str, str]]) -> str:
    """The failure message of the record guard: the first problems as (record id, field, problem), and how many more."""
    shown = "; ".join(f"id {rid}, {name}: {problem}" for rid, name, problem in problems[:SHOWN])
    more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return f"[{stage}] output breaks the record schema, nothing published: {shown}{more}"


def record_guard(stage: str) -> Callable[[list[Record]], None]:
    """Raises `StageError` naming record id, field and problem when a batch breaks the record schema."""
    from hum.schemas import RecordCheck  # noqa: PLC0415 - pandera loads only for stages that publish records, not the CLI

    check = RecordCheck()

    def guard(batch: list[Record]) -> None:
        problems = check(batch)
        if problems:
            raise StageError(schema_failure(stage, problems))

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
    step: Step,
    records: Iterable[Record] | JsonLines,
    out: Path,
    rejects: str,
    params: dict[str, Any],
    *,
    model: str | None,
    workers: int | None = None,
    runner: Runner | None = None,
) -> None:
    """A step's whole stage: `instructions.jsonl`, its rejects and manifest in `out` (atomically), and metrics.

    Every kept batch must pass the record schema (unless the step checks it or only filters checked records) and the
    step its reject-rate limit, or nothing is published.
    `runner`: where the batches run (`hum.runners`), by default on `workers` processes (default
    `hum.cores.data_workers()`); the outputs depend on neither.
    """
    with atomic_dir(out) as tmp:
        guarded = not (step.checks_records or step.filters)  # no second pass over records checked already
        runner = runner or Local(data_workers(workers))
        run_step(step, records, tmp / "instructions.jsonl", tmp / rejects, runner=runner, guarded=guarded)
        check_reject_rate(step)
        write_manifest(tmp, step.name, params, step.metrics(), model)
    write_json(f"metrics/{step.name}.json", step.metrics())
