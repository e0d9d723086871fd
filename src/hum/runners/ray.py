"""The Ray runner: batches on a Ray cluster, an existing one or a local one started on demand.

Two ways, by what the batches are. Tasks read from files go through Ray Data (`hum.runners.ray_data`): a step's
batches of JSON-lines files (`hum.step.Tasks` with a source: generate, decontaminate, validate, and dedup's keys and
lines), or loads (`hum.runners.Loads`: dedup's band keys, read from its spill) are a datasource read where they lie,
`map_batches` runs the work on actors, and the results come back in input order. Any other items (dedup's fuzzy
pass, the lines mix chose, the calls of a test) go to plain actors: the stage makes them itself, in an order only it
knows, so it streams them through a bounded window instead, at most two per actor in flight, each handed to the
actor with the fewest. Either way each actor unpickles one copy of the work when it starts (as a forked worker
inherits one) and runs `setup` on it, and an exception raised in an actor comes back as a `hum.parallel.Failure` and is
raised as itself, so the parent sees what the local runner shows it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

import ray

from hum.cores import data_workers
from hum.parallel import Failure, WorkerError, unfailed, windowed
from hum.runners import Loads
from hum.step import Tasks

T = TypeVar("T")
R = TypeVar("R")
ADDRESS_ENV = "RAY_ADDRESS"
LOGS = Path(tempfile.gettempdir()) / "hum-ray"  # where a Ray started here keeps its sessions and logs
AHEAD = 2  # batches in flight per actor: one running, one waiting, so an actor never idles while the window has room


def connect(address: str | None, runtime_env: Mapping[str, Any] | None = None) -> None:
    """Join the cluster at `address` (else `$RAY_ADDRESS`), or start a quiet local Ray on `data_workers()` cores.

    `runtime_env` (Ray's: `py_modules`, `pip`, `env_vars`, ...) is what a cluster's nodes need to run hum's code that
    their image lacks; a local Ray runs this very environment. Once per process: a process already connected (an
    earlier stage of a benchmark or test) stays on its cluster.
    """
    if ray.is_initialized():
        return
    quiet: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    if address := address or os.environ.get(ADDRESS_ENV):
        ray.init(address=address, runtime_env=dict(runtime_env or {}), **quiet)
    else:  # "local": never join a cluster someone else started on this machine
        ray.init(address="local", num_cpus=data_workers(), include_dashboard=False, _temp_dir=str(LOGS), **quiet)


class Holder:
    """An actor's copy of the work: unpickled once, with `setup` run on it, then called once per item."""

    def __init__(self, shared: tuple[Callable[[Any], Any], Callable[[], object] | None]) -> None:
        self.work, setup = shared
        if setup is not None:
            setup()

    def run(self, item: Any) -> Any:
        """The work's result, or its exception as a `Failure` (raised as itself in the parent)."""
        try:
            return self.work(item)
        except Exception as exc:  # noqa: BLE001 - every error goes to the parent, which raises it in order
            return Failure.of(exc)


Actor = ray.remote(num_cpus=1)(Holder)


class Actors(Generic[T, R]):
    """`work` over items on a `Ray` runner's cluster, as a context manager.

    A step's batches of JSON-lines files (`hum.step.Tasks` with a source) and loads go through Ray Data
    (`hum.runners.ray_data`); any other items go to actors of this pool, started when they are first needed
    (`runner.actors` of them, None: one per CPU of the cluster) and killed before Ray Data runs, so that a pool whose
    batches went through Ray Data holds no CPU idle, and Ray Data's actors find the CPUs free (dedup's fuzzy pass
    runs on plain actors between passes on Ray Data).
    """

    def __init__(self, work: Callable[[T], R], setup: Callable[[], object] | None, runner: Ray) -> None:
        self.work, self.setup, self.runner = work, setup, runner
        self._actors: list[Any] = []

    def __enter__(self) -> Actors[T, R]:
        connect(self.runner.address, self.runner.runtime_env)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._release()  # every result was taken, or none is wanted any more

    def _release(self) -> None:
        """Kill this pool's own actors (started again when next needed): their CPUs go back to the cluster."""
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []

    def count(self) -> int:
        """How many actors run the work: `runner.actors`, else one per CPU of the cluster."""
        return self.runner.actors or max(1, int(ray.cluster_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]

    def map(self, items: Iterable[T]) -> Iterator[R]:
        """`work(item)` for each item, in input order; an item's exception is raised where its result would come."""
        done = self._on_data(items) if _data(items) else self._on_actors(items)
        with contextlib.closing(done):  # an error raised here stops the work still running, not only when collected
            for result in done:
                yield unfailed(cast("R | Failure", result))  # what `work` returned for this item

    def _on_data(self, items: Iterable[T]) -> Generator[Any]:
        """Each task's result (or `Failure`) from Ray Data, in order: loads, or a step's batches of files planned into loads."""
        from hum.runners.ray_data import planned, results  # noqa: PLC0415 - ray.data loads for these only; it imports this module

        self._release()  # Ray Data's actors need the CPUs the pool's own hold: else its map waits for them for ever
        shared, count = (self.work, self.setup), self.count()
        if isinstance(items, Tasks) and items.source is not None:
            return results(*planned(items.source, items), shared, count)
        return results(cast("Loads[Any]", items), None, shared, count)

    def _on_actors(self, items: Iterable[T]) -> Generator[Any]:
        """Each item's result (or `Failure`) from this pool's actors, in input order, at most `AHEAD` per actor in flight."""
        if not self._actors:
            shared = ray.put((self.work, self.setup))  # one pickle: `setup` acts on the very copy of the work it came with
            self._actors = [Actor.remote(shared) for _ in range(self.count())]
        load = [0] * len(self._actors)

        def send(item: T) -> tuple[Any, int]:
            least = load.index(min(load))
            load[least] += 1
            return self._actors[least].run.remote(item), least

        def take(sent: tuple[Any, int]) -> Any:
            ref, actor = sent
            load[actor] -= 1
            return fetched(ref, "actor")

        return windowed(items, AHEAD * len(self._actors), send, take)


def fetched(refs: Any, who: str) -> Any:
    """`ray.get(refs)`; an actor that died first is a `WorkerError` naming `who` it was."""
    try:
        return ray.get(refs)
    except ray.exceptions.RayActorError as exc:
        raise WorkerError(f"a Ray {who} died before it handed back its result: {exc}") from None


def _data(items: Iterable[Any]) -> bool:
    """Whether items go through Ray Data: loads, or a step's batches of JSON-lines files (which the runner plans into loads)."""
    return isinstance(items, Loads) or (isinstance(items, Tasks) and items.source is not None)


@dataclass(frozen=True)
class Ray:
    """A Ray cluster at `address` (None: `$RAY_ADDRESS`, else a local Ray started here) with `actors` actors.

    `actors`: None for one per CPU of the cluster, each holding one CPU; more than the cluster can place would wait.
    `runtime_env`: Ray's runtime environment for a cluster's nodes (see `connect`).
    """

    address: str | None = None
    actors: int | None = None
    runtime_env: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.actors is not None and self.actors < 1:
            raise ValueError(f"runner.actors must be at least 1, got {self.actors}")

    @property
    def remote(self) -> bool:
        return True

    def pool(self, work: Callable[[T], R], *, setup: Callable[[], object] | None = None) -> Actors[T, R]:
        return Actors(work, setup, self)
