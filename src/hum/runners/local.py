"""The local runner: batches on forked processes of this machine, as `hum.parallel.Workers` runs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from hum.cores import data_workers
from hum.parallel import Workers

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Local:
    """`workers` processes (None: `hum.cores.data_workers()`, one per core or `HUM_WORKERS`); one means this process."""

    workers: int | None = None

    @property
    def remote(self) -> bool:
        return data_workers(self.workers) > 1

    def pool(self, work: Callable[[T], R], *, setup: Callable[[], object] | None = None) -> Workers[T, R]:
        return Workers(work, data_workers(self.workers), setup=setup)
