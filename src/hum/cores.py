"""How many processes and threads hum may run at once: the one place that splits the machine's cores.

Data stages run their batches on `data_workers()` processes; a llama.cpp model run by `workers` processes at once
gives each `llm_threads(workers)` threads, so that together they never ask for more threads than there are cores
(spinning llama.cpp threads on oversubscribed cores slow each other down by an order of magnitude or more).
`HUM_WORKERS` sets the number of worker processes for a run (e.g. `HUM_WORKERS=1 dvc repro` for one process);
a number passed by the caller wins over it. The outputs never depend on it.
"""

from __future__ import annotations

import os

WORKERS_ENV = "HUM_WORKERS"


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and `taskset` narrow), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity on this platform (macOS): every core counts
        return max(1, os.cpu_count() or 1)


def data_workers(requested: int | None = None) -> int:
    """Worker processes for a data stage: `requested`, else `$HUM_WORKERS`, else one per available core.

    A number below 1, or a `HUM_WORKERS` that is not a whole number, is an error rather than a silent default.
    """
    if requested is None:
        raw = os.environ.get(WORKERS_ENV, "").strip()
        if not raw:
            return available_cores()
        try:
            requested = int(raw)
        except ValueError:
            raise ValueError(f"{WORKERS_ENV} must be a whole number of worker processes, got {raw!r}") from None
    if requested < 1:
        raise ValueError(f"worker processes must be at least 1, got {requested} (from the caller or {WORKERS_ENV})")
    return requested


def llm_threads(workers: int) -> int:
    """llama.cpp threads for each of `workers` model processes running at once: the cores shared out, at least 1 each."""
    if workers < 1:
        raise ValueError(f"worker processes must be at least 1, got {workers}")
    return max(1, available_cores() // workers)
