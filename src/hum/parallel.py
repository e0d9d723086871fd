"""An ordered map over forked worker processes, with a bounded number of items in flight.

The work function is inherited by fork, not pickled: whatever it closes over (a step built once in the parent, with
its pools, indexes or tokenizer) is ready in every worker. Items and results are pickled in the process that makes
them, so a value that cannot cross is an error there, not a silent hang. Results come back in input order, and an
exception raised by the work function reaches the parent as the same class with the same message, at the position of
its item: the parent sees what one process would have seen, in the same order.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import multiprocessing
import os
import pickle
import queue
import signal
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")
PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent dies
POLL = 1.0  # seconds between checks that the parent (in a worker) or the workers (in the parent) are still alive


class WorkerError(RuntimeError):
    """A worker process died without a result (killed, out of memory): the map cannot go on."""


class WorkerTraceback(Exception):  # noqa: N818 - not an error of its own: the cause shown under one
    """The traceback of an exception raised in a worker, chained under the exception the parent re-raises."""


@dataclass(frozen=True)
class Failure:
    """An exception raised in a worker, as its class, arguments and attributes, and the worker's traceback."""

    kind: type[BaseException]
    args: tuple[Any, ...]
    state: dict[str, Any]
    trace: str

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        """Capture `exc`; its class is rebuilt without calling `__init__`, so any signature crosses (HumInputError's)."""
        return cls(type(exc), exc.args, dict(vars(exc)), "".join(traceback.format_exception(exc)))

    def rebuild(self) -> BaseException:
        """The exception again, with the same message and attributes."""
        exc = self.kind.__new__(self.kind, *self.args)
        exc.args = self.args
        vars(exc).update(self.state)
        return exc


def unfailed(result: R | Failure) -> R:
    """A worker's result; its exception raised as itself, with the worker's traceback chained under it."""
    if isinstance(result, Failure):
        raise result.rebuild() from WorkerTraceback(result.trace)
    return result


H = TypeVar("H")


def windowed(items: Iterable[T], ahead: int, send: Callable[[T], H], take: Callable[[H], R]) -> Generator[R]:
    """What `take` makes of each item `send` started, in input order, with at most `ahead` items in flight.

    An error reading the input is raised after the results of the items before it, as one process would meet it.
    """
    source, flight = iter(items), deque[H]()
    ended: BaseException | None = None  # what reading the input raised (or StopIteration)
    while True:
        while ended is None and len(flight) < ahead:
            try:
                item = next(source)
            except Exception as exc:  # noqa: BLE001 - StopIteration too; an input error comes after earlier results
                ended = exc
                break
            flight.append(send(item))
        if not flight:
            if ended is not None and not isinstance(ended, StopIteration):
                raise ended
            return
        yield take(flight.popleft())


def _payload(index: int, result: object) -> bytes:
    """A result pickled, or its pickling error as a failure (a worker's queue would otherwise drop it silently)."""
    try:
        return pickle.dumps((index, result), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 - any pickling error becomes the item's failure
        lost = f"{result.kind.__name__}: {result.args}" if isinstance(result, Failure) else type(result).__name__
        unsent = RuntimeError(f"a worker could not send its result ({lost}) to the parent: {exc}")
        return pickle.dumps((index, Failure.of(unsent)), protocol=pickle.HIGHEST_PROTOCOL)


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when the parent dies (Linux), so a stage killed mid-run leaves no worker behind.

    The worker may be reading an item the parent was killed while writing, which no timeout ends. Without prctl (not
    Linux), the worker's loop still notices a dead parent while it waits for items.
    """
    with contextlib.suppress(OSError, AttributeError):  # no prctl: not Linux
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # died before the request took effect
        os._exit(0)


def _serve(
    work: Callable[[Any], Any],
    setup: Callable[[], object] | None,
    tasks: multiprocessing.Queue[bytes | None],
    results: multiprocessing.Queue[bytes],
    parent: int,
) -> None:
    """A worker's loop: items in, results (or failures) out, until told to stop or the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    _die_with(parent)
    if setup is not None:
        setup()
    while True:
        try:
            task = tasks.get(timeout=POLL)
        except queue.Empty:
            if os.getppid() != parent:  # the parent was killed: nobody will read a result, so wait for none to be sent
                results.cancel_join_thread()
                return
            continue
        if task is None:
            return
        index, item = pickle.loads(task)  # noqa: S301 - pickled by our own parent process
        try:
            result: object = work(item)
        except Exception as exc:  # noqa: BLE001 - every error goes to the parent, which raises it in order
            result = Failure.of(exc)
        results.put(_payload(index, result))


class Workers(Generic[T, R]):
    """`work` over items on `count` forked processes (none when `count` is 1), as a context manager.

    `setup` runs once in each worker after the fork (e.g. to empty what the parent had counted before it). At most
    `ahead` items are read but not yet handed back, so memory stays flat however long the input is.
    """

    def __init__(
        self, work: Callable[[T], R], count: int, *, ahead: int | None = None, setup: Callable[[], object] | None = None
    ) -> None:
        if count < 1:
            raise ValueError(f"worker processes must be at least 1, got {count}")
        self.work, self.ahead = work, 2 * count if ahead is None else ahead
        if self.ahead < 1:
            raise ValueError(f"items in flight must be at least 1, got {self.ahead}")
        self._processes: list[multiprocessing.process.BaseProcess] = []
        context = multiprocessing.get_context("fork")
        self._tasks: multiprocessing.Queue[bytes | None] = context.Queue()
        self._results: multiprocessing.Queue[bytes] = context.Queue()
        if count > 1:
            args = (work, setup, self._tasks, self._results, os.getpid())
            self._processes = [context.Process(target=_serve, args=args, daemon=True) for _ in range(count)]

    def __enter__(self) -> Workers[T, R]:
        gc.freeze()  # what exists now is shared with the workers: their garbage collector leaves it (and its pages) alone
        try:
            for process in self._processes:
                process.start()
        finally:
            gc.unfreeze()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            for _ in self._processes:
                self._tasks.put(None)
        else:  # stop at once: the workers' results are not wanted
            self._tasks.cancel_join_thread()
            for process in self._processes:
                process.terminate()
        for process in self._processes:
            process.join()
        self._tasks.close()
        self._results.close()

    def map(self, items: Iterable[T]) -> Iterator[R]:
        """`work(item)` for each item, in input order; an item's exception is raised where its result would come."""
        if not self._processes:
            yield from map(self.work, items)
            return
        counter, waiting = itertools.count(), dict[int, object]()

        def send(item: T) -> int:
            index = next(counter)
            self._tasks.put(pickle.dumps((index, item), protocol=pickle.HIGHEST_PROTOCOL))
            return index

        def take(index: int) -> R:
            while index not in waiting:
                got, result = self._receive()
                waiting[got] = result
            return unfailed(cast("R | Failure", waiting.pop(index)))  # what `work` returned for this item

        yield from windowed(items, self.ahead, send, take)

    def _receive(self) -> tuple[int, object]:
        """The next result any worker hands back; raises `WorkerError` when a worker died instead."""
        while True:
            with contextlib.suppress(queue.Empty):
                index, result = pickle.loads(self._results.get(timeout=POLL))  # noqa: S301 - pickled by our own workers
                return int(index), result
            dead = [p for p in self._processes if not p.is_alive()]
            if dead:
                raise WorkerError(f"a worker process died (exit code {dead[0].exitcode}) before it handed back its result")
