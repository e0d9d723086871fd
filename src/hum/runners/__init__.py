"""Where a stage's batches run: this machine's cores (`local`) or a Ray cluster (`ray`), chosen by the `runner` config.

A runner only moves work: it maps the same plain function over the same batches and hands the results back in input
order, so `hum.step.run_step` writes the same bytes and merges the same tallies whatever runs them. It is therefore no
stage parameter: switching it changes no output, and no manifest names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, cast

from hum.runners.local import Local

T = TypeVar("T")
R = TypeVar("R")
T_contra = TypeVar("T_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)
RUNNERS = ("local", "ray")  # the `kind`s of conf/runner/


class Pool(Protocol[T_contra, R_co]):
    """A started set of workers (a context manager) that maps its work over items."""

    def __enter__(self) -> Self: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None: ...

    def map(self, items: Iterable[T_contra]) -> Iterator[R_co]:
        """`work(item)` for each item, in input order; an item's exception is raised as itself where its result would come."""
        ...


class Runner(Protocol):
    """What `run_step` asks of a runner: whether work leaves this process, and a pool that runs it."""

    @property
    def remote(self) -> bool:
        """True when work runs in other processes: they hand their tallies back, and this process answers about ids."""
        ...

    def pool(self, work: Callable[[T], R], *, setup: Callable[[], object] | None = None) -> Pool[T, R]:
        """Workers that run `work` (each a copy of it, made when the pool starts), after `setup` once in each of them."""
        ...


class Runs(Protocol[R_co]):
    """A task that runs itself on what every worker holds: one pool then serves tasks of several kinds."""

    def run(self, work: Any) -> R_co: ...


class Serves:
    """What every worker of such a pool holds (a subclass adds the state): called with each task, it runs it on itself."""

    def __call__(self, task: Runs[Any]) -> Any:  # one pool, tasks of several kinds: `mapped` types the results
        return task.run(self)


class Loads(Generic[T]):
    """Tasks planned ahead as small loads: picklable calls without arguments, each reading its task's data where it runs.

    A local pool has them loaded here, in order, as it reads any items; Ray Data loads each in a read task of its own
    (`hum.runners.ray_data`), so the data need not pass through this process. `local`: whether a load reads what only
    this machine sees (a file of the workspace, a stage's spill), so that its read tasks run on this node. A load
    names a local file by its absolute path: Ray's workers run in another folder.
    """

    def __init__(self, loads: Sequence[Callable[[], T]], *, local: bool = True) -> None:
        self.loads, self.local = loads, local

    def __iter__(self) -> Iterator[T]:
        return (load() for load in self.loads)

    def __len__(self) -> int:
        return len(self.loads)


def mapped(pool: Pool[Any, Any], tasks: Iterable[Runs[R]]) -> Iterator[R]:
    """The pool's results for `tasks`, in order, typed as theirs (a pool serving several kinds types its results Any)."""
    return cast("Iterator[R]", pool.map(tasks))


def runner_of(config: Mapping[str, Any] | None) -> Runner:
    """The runner a stage's `runner` params name; none given (params without the group) is the local one."""
    kind = "local" if config is None else config.get("kind")
    if kind == "local":
        return Local()
    if kind == "ray" and config is not None:
        from hum.runners.ray import Ray  # noqa: PLC0415 - ray is an optional extra, imported only when asked for

        return Ray(config.get("address"), config.get("actors"), config.get("runtime_env"))
    raise ValueError(f"runner.kind: {kind!r} is not one of {list(RUNNERS)}")
