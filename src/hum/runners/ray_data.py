"""Ray Data for tasks read from files: a datasource of loads (`hum.runners.Loads`), `map_batches` on actors holding the work.

Each load becomes one read task that emits one block of one row, the task pickled: no block is ever split or merged,
so the work sees the very tasks a local pool sees, in the same order. Read tasks of a load that reads what only this
machine sees run on this node; others may run anywhere. They take no CPU: the actors hold the cluster's, and reading
a task is cheap beside what the work does with it.
A step's batches of JSON-lines files (`hum.step.Tasks` with a source) are planned into loads first: the parent makes
one pass over the lines for where each batch starts (its first line's number and byte offset) and how many lines it
holds, the batches `hum.step.run_step` makes locally, spanning files where they do; and, for a step whose workers are
told which ids came before (validate), those answers, as `hum.step.Tasks` finds them. That pass holds one batch of
lines at a time.
`map_batches` runs the very work the local pool runs on `runner.actors` actors of one CPU, each a copy of it made
once, and the results come back in input order (`preserve_order`) for the parent to write. An exception of the work
comes back as its result; an actor whose process dies (a lost node, the OOM killer) is started again and its task
retried, `RESTARTS` times, and then the map fails with a `WorkerError`: Ray Data's default would retry for ever.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import pickle
import warnings
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import ray
import ray.data
from ray.data.block import BlockMetadata
from ray.data.datasource import Datasource, ReadTask
from ray.util.annotations import RayDeprecationWarning

from hum.errors import HumInputError
from hum.parallel import WorkerError
from hum.runners import Loads
from hum.runners.ray import Holder
from hum.step import JsonLines, Tasks, batched, task_of
from hum.storage import is_url

Shared = tuple[Callable[[Any], Any], Callable[[], object] | None]  # the work and its setup, as `Holder` takes them
BLOCK = pa.schema([("task", pa.binary())])
RESTARTS = 2  # times an actor is started again (a node lost, memory run out), each time retrying its task: then it fails
logging.getLogger("ray.data").setLevel(logging.WARNING)  # a stage prints its own progress, not Ray Data's


@dataclass(frozen=True)
class LinesLoad:
    """One batch of a source's lines: where its first line is (number, byte offset), how many, the repeats told."""

    source: JsonLines
    start: tuple[int, int]
    size: int
    repeated: list[int] | None
    make: Callable[[list[Any]], Any] | None

    def __call__(self) -> Any:
        return task_of(list(itertools.islice(self.source.located(self.start), self.size)), self.repeated, self.make)


def planned(source: JsonLines, tasks: Tasks) -> tuple[Loads[Any], HumInputError | None]:
    """The batches of `tasks` as loads from their source, and the error of a line that cannot be read, if one cannot.

    The repeats come from `tasks` as it gives them to a local pool, so a step's `Ids` hears every batch once, in order.
    The error is raised after the batches before it, as the local pool raises it.
    """
    resolved = JsonLines(*(p if is_url(p) else Path(p).resolve() for p in source.paths))  # Ray's workers cwd elsewhere
    loads: list[LinesLoad] = []
    error = None
    try:
        loads.extend(
            LinesLoad(resolved, chunk[0][:2], len(chunk), tasks.repeated(chunk), tasks.make)
            for chunk in batched(source.located(), tasks.size)
        )
    except HumInputError as exc:
        error = exc
    return Loads(loads, local=not all(is_url(p) for p in source.paths)), error


def read(load: Callable[[], Any]) -> Iterator[pa.Table]:
    """A read task: one task, pickled, as a block of one row."""
    yield pa.table([[pickle.dumps(load(), protocol=pickle.HIGHEST_PROTOCOL)]], schema=BLOCK)


class LoadsDatasource(Datasource):
    """Loads, one read task and one block each, in order."""

    def __init__(self, loads: Loads[Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.loads = loads

    @property
    def supports_distributed_reads(self) -> bool:
        """False when a load reads what only this machine sees: Ray then runs the read tasks on this node only."""
        return not self.loads.local

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    def get_read_tasks(
        self, parallelism: int, per_task_row_limit: int | None = None, data_context: ray.data.DataContext | None = None
    ) -> list[ReadTask]:
        """One task per load, whatever `parallelism` asks: a load is a task of the work, which results add up over."""
        one = BlockMetadata(num_rows=1, size_bytes=None, input_files=None, exec_stats=None)
        return [ReadTask(functools.partial(read, load), one, schema=BLOCK) for load in self.loads.loads]


class BatchActor:
    """A Ray Data actor: a copy of the work (`hum.runners.ray.Holder`), run on each row (one task) of a block."""

    def __init__(self, shared: ray.ObjectRef[Shared]) -> None:
        self.holder = Holder(ray.get(shared))

    def __call__(self, block: pa.Table) -> dict[str, list[bytes]]:
        """Each task's result (or `Failure`), pickled: what the parent unpickles, in order."""
        done = (self.holder.run(pickle.loads(task)) for task in block["task"].to_pylist())  # noqa: S301 - our read tasks'
        return {"result": [pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL) for result in done]}


def results(loads: Loads[Any], error: HumInputError | None, shared: Shared, actors: int) -> Generator[Any]:
    """The work's result (or `Failure`) for each load's task, in order, on `actors` actors; then `error`, if any."""
    if loads:
        rows = cast("Generator[dict[str, Any], None, None]", iter(dataset(loads, shared, actors).iter_rows()))
        with contextlib.closing(rows):  # stops the execution (and its actors) when the parent stops early
            try:
                for row in rows:
                    yield pickle.loads(row["result"])  # noqa: S301 - pickled by our own actors
            except ray.exceptions.RayActorError as exc:  # a work's exceptions come back as results: this is a death
                raise WorkerError(f"a Ray Data actor died {RESTARTS + 1} times before it handed back its result: {exc}") from None
    if error is not None:
        raise error


def dataset(loads: Loads[Any], shared: Shared, actors: int) -> ray.data.Dataset:
    """The loads read into blocks and mapped by `BatchActor`s, in order.

    The work goes to the object store once, and each actor fetches it: the actors' own arguments stay small. Fewer
    loads than actors start one actor per load: the others would only hold CPUs. The bound on restarts is a remote
    argument that Ray 2.60 deprecates without a named replacement (hence `ray[data]<2.64`): its warning is not the user's.
    """
    actors = min(actors, len(loads))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RayDeprecationWarning)
        mapped: ray.data.Dataset = ray.data.read_datasource(
            LoadsDatasource(loads), num_cpus=0, concurrency=actors, override_num_blocks=len(loads)
        ).map_batches(
            BatchActor,
            fn_constructor_args=(ray.put(shared),),
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=1,
            max_restarts=RESTARTS,
            max_task_retries=RESTARTS,
            batch_size=None,
            batch_format="pyarrow",
        )
    mapped.context.execution_options.preserve_order = True
    return mapped
