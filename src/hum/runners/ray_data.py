"""Ray Data for a step whose input is JSON-lines files: a datasource of its batches, `map_batches` on actors holding the step.

The parent makes one pass over the lines first: where each batch starts (its first line's number and byte offset)
and how many lines it holds, the batches `hum.step.run_step` makes locally, spanning files where they do; and, for a
step whose workers are told which ids came before (validate), those answers, as `hum.step.Tasks` finds them. That
pass holds one batch of lines at a time. Each read task then reads one batch from its offset and emits it as one
block of one row (numbers, lines, repeats), so no block is ever split or merged across batches. Read tasks of a local
file run on this node, which alone sees the workspace; a URL's may run anywhere. They take no CPU: the actors hold
the cluster's, and reading a batch is cheap beside what the step does with it.
`map_batches` runs the very work the local pool runs (`hum.step.BatchWork`) on `runner.actors` actors of one CPU,
each a copy of it made once, and the results come back in input order (`preserve_order`) for the parent to write.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import pickle
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import ray
import ray.data
from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask

from hum.errors import HumInputError
from hum.runners.ray import Holder
from hum.step import JsonLines, Tasks, batched
from hum.storage import is_url

Shared = tuple[Callable[[Any], Any], Callable[[], object] | None]  # the work and its setup, as `Holder` takes them
BLOCK = pa.schema([("numbers", pa.list_(pa.int64())), ("lines", pa.list_(pa.string())), ("repeated", pa.list_(pa.int64()))])
logging.getLogger("ray.data").setLevel(logging.WARNING)  # a stage prints its own progress, not Ray Data's


@dataclass(frozen=True)
class Batch:
    """One batch of a source's lines: where its first line is (number, byte offset), how many, the repeats told."""

    start: tuple[int, int]
    size: int
    repeated: list[int] | None


def plan(source: JsonLines, tasks: Tasks) -> tuple[list[Batch], HumInputError | None]:
    """The batches of `tasks`, read from their source, and the error of a line that cannot be read, if one cannot.

    The repeats come from `tasks` as it gives them to a local pool, so a step's `Ids` hears every batch once, in order.
    The error is raised after the batches before it, as the local pool raises it.
    """
    batches = []
    try:
        for chunk in batched(source.located(), tasks.size):
            lines = [(number, line) for number, _, line in chunk]
            batches.append(Batch((chunk[0][0], chunk[0][1]), len(chunk), tasks.repeated(lines)))
    except HumInputError as exc:
        return batches, exc
    return batches, None


def read(source: JsonLines, batch: Batch) -> Iterator[pa.Table]:
    """A read task: one batch's lines and repeats as a block of one row."""
    numbers, lines = zip(*itertools.islice(source.lines(batch.start), batch.size), strict=True)
    yield pa.table([[list(numbers)], [list(lines)], [batch.repeated]], schema=BLOCK)


class LinesDatasource(Datasource):
    """A source's planned batches, one read task and one block each, in input order."""

    def __init__(self, source: JsonLines, batches: list[Batch]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.source = JsonLines(*(p if is_url(p) else Path(p).resolve() for p in source.paths))  # Ray's workers cwd elsewhere
        self.batches = batches

    @property
    def supports_distributed_reads(self) -> bool:
        """False when a file is local: Ray then runs the read tasks on this node (the driver's) only."""
        return all(is_url(p) for p in self.source.paths)

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: int | None = None, data_context: ray.data.DataContext | None = None
    ) -> list[ReadTask]:
        """One task per batch, whatever `parallelism` asks: a batch is the unit the step's results add up over."""
        one = BlockMetadata(num_rows=1, size_bytes=None, input_files=None, exec_stats=None)
        return [ReadTask(functools.partial(read, self.source, batch), one, schema=BLOCK) for batch in self.batches]


class BatchActor:
    """A Ray Data actor: a copy of the work (`hum.runners.ray.Holder`), run on each row (one batch) of a block."""

    def __init__(self, shared: ray.ObjectRef[Shared]) -> None:
        self.holder = Holder(ray.get(shared))

    def __call__(self, block: pa.Table) -> dict[str, list[bytes]]:
        """Each row's result (or `Failure`), pickled: what the parent unpickles, in order."""
        rows = zip(*(block[name].to_pylist() for name in BLOCK.names), strict=True)
        done = (self.holder.run((list(zip(numbers, lines, strict=True)), repeated)) for numbers, lines, repeated in rows)
        return {"result": [pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL) for result in done]}


def results(source: JsonLines, tasks: Tasks, shared: Shared, actors: int) -> Generator[Any]:
    """The work's result (or `Failure`) for each batch of `tasks` (read from `source`), in input order, on `actors` actors.

    The work goes to the object store once, and each actor fetches it: the actors' own arguments stay small.
    """
    batches, error = plan(source, tasks)
    dataset = ray.data.read_datasource(
        LinesDatasource(source, batches), num_cpus=0, concurrency=actors, override_num_blocks=len(batches)
    ).map_batches(
        BatchActor,
        fn_constructor_args=(ray.put(shared),),
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=1,
        batch_size=None,
        batch_format="pyarrow",
    )
    dataset.context.execution_options.preserve_order = True
    rows = cast("Generator[dict[str, Any], None, None]", iter(dataset.iter_rows()))
    with contextlib.closing(rows):  # stops the execution (and its actors) when the parent stops early
        for row in rows:
            yield pickle.loads(row["result"])  # noqa: S301 - pickled by our own actors
    if error is not None:
        raise error
