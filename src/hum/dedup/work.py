"""Dedup's per-record work as tasks of a batch, run where a runner puts them (`hum.runners`).

Parsing, normalising, the keys, MinHash band keys and serialising cost per record and depend on nothing else, so
they run on the runner's workers (forked processes, or Ray actors), and so do the fuzzy pass's comparisons inside
each whole input cluster (`NearOf`: clusters are independent). Everything that depends on order (input ids,
clusters, which records each cluster holds, the survivor rule, the files) stays in the one process that reads the
input, fed the results in input order: the outputs are the same bytes whichever runner, and however many workers,
did the work.
One pool serves every pass: a task says which work it is, and a worker holds one copy of the source and the hasher.
What a task carries, and so where its data is read, differs by pass:
- `KeysOf` and `LinesOf`: a batch of the source's items, made by the source (`sources.Source.tasks`). On Ray those
  of a file source go through Ray Data: its read tasks read the lines where they run, and the stage's process only
  plans the batches (where each starts). The keys' results carry each record's location (where `Source.at` reads
  it back), so the stage's process keeps no item of its own.
- `BandsOf`: input texts the first pass spilled, read by a `SpilledTexts` load where the task is loaded: here for a
  local pool, in a read task of Ray Data on this node for Ray (`hum.runners.Loads`; the spill is this machine's).
- `NearOf`: the texts of whole clusters, which this process reads from its spill and sends along (plain actors on Ray).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from hum.dedup.cluster import Edit, verified
from hum.dedup.keys import Keys, Parts
from hum.dedup.minhash import MinHasher
from hum.dedup.sources import Source
from hum.dedup.spill import entry, read_entries
from hum.io import dumps
from hum.runners import Serves

R = TypeVar("R")
BATCH = 1024  # records per task: big enough that handing a batch over costs little beside its work
TEXTS = 256  # input texts per task of band keys (each one MinHash signature)


@dataclass(frozen=True)
class Keyed:
    """A batch's first-pass keys: per record its location, exact, user-message and input keys and texts as spill entries.

    Per input key met, the indexed text of the batch's first record with it, and whether that is a request's instruction.
    """

    locations: array[int]
    exact: array[int]
    user: array[int]
    group: array[int]
    texts: bytes
    inputs: dict[int, tuple[str, bool]]


@dataclass(frozen=True)
class Rendered:
    """A batch's records as the output files hold them: their ids, their JSON text and their ids' digests (8 bytes each)."""

    ids: list[Any]
    lines: list[str]
    digests: bytes


@dataclass(frozen=True)
class Work(Serves):
    """What every worker holds: the source (to parse its items) and the hasher; called with each task."""

    source: Source
    hasher: MinHasher


@dataclass(frozen=True)
class KeysOf:
    """The first pass's keys and texts of a batch of source items."""

    items: list[Any]

    def run(self, work: Work) -> Keyed:
        locations = array("q", map(work.source.location, self.items))
        exact, user, group, texts, inputs = array("q"), array("q"), array("q"), list[bytes](), dict[int, tuple[str, bool]]()
        for record in work.source.parse(self.items):
            parts = Parts.of(record)
            keys = Keys.of(parts)
            exact.append(keys.exact)
            user.append(keys.user)
            group.append(keys.group)
            texts.append(entry(parts.instruction, parts.answer))
            inputs.setdefault(keys.group, (parts.indexed, not parts.input))
        return Keyed(locations, exact, user, group, b"".join(texts), inputs)


@dataclass(frozen=True)
class BandsOf:
    """The band keys of some non-empty input texts, one row each."""

    texts: list[str]

    def run(self, work: Work) -> np.ndarray:
        return np.stack([work.hasher.keys(text) for text in self.texts])


@dataclass(frozen=True)
class SpilledTexts:
    """The load of one `BandsOf` task: where its texts lie in the spill of input texts (the file by its absolute path).

    `locations`, ascending, are their entries'; `end` is where the last one ends.
    """

    path: Path
    locations: np.ndarray
    end: int

    def __call__(self) -> BandsOf:
        return BandsOf([text for (text,) in read_entries(self.path, self.locations.tolist(), self.end, 1)])


@dataclass(frozen=True)
class NearOf:
    """The fuzzy pass over some whole input clusters, each its records (index, input id, text spill entry) in stream order.

    The texts travel with the task, so a worker needs no access to the parent's spill (a Ray actor on another node).
    """

    threshold: float
    clusters: list[list[tuple[int, int, bytes]]]

    def run(self, work: Work) -> list[Edit]:
        return [edit for records in self.clusters for edit in verified(records, self.threshold)]


@dataclass(frozen=True)
class LinesOf:
    """A batch of source items as the output files write them."""

    items: list[Any]

    def run(self, work: Work) -> Rendered:
        from hum.schemas import id_digests  # noqa: PLC0415 - pandera loads when dedup runs, not when the stage starts

        records = work.source.parse(self.items)
        return Rendered([r.get("id") for r in records], [dumps(r) for r in records], id_digests(records))


def removal(duplicate_of: Any, reason: str, line: str) -> str:
    """What `dumps({"duplicate_of": ..., "reason": ..., "record": record})` writes, given the record's `dumps` as `line`.

    Sorted keys and no spaces, as `dumps` writes: the record is not serialised a second time.
    """
    return f'{{"duplicate_of":{dumps(duplicate_of)},"reason":{dumps(reason)},"record":{line}}}'
