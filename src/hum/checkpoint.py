"""Append-only progress of an LLM stage, so a crash or kill resumes without losing or repeating work."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from hum.io import Record, dumps

CHECKPOINTS = Path(".hum/checkpoints")  # progress of LLM stages, outside DVC outputs (DVC clears those)


class Checkpoint:
    """Results per unit of work, keyed; one JSON line per finished unit, fsynced before it counts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, list[Record]] = {}
        if path.exists():
            data = path.read_bytes()
            whole = data[: data.rfind(b"\n") + 1]  # a line cut by a kill is dropped: that unit is redone
            if whole != data:
                path.write_bytes(whole)
            for line in whole.decode("utf-8").splitlines():
                entry = json.loads(line)
                self.done[entry["key"]] = entry["records"]

    def add(self, key: str, records: list[Record]) -> None:
        """Record a finished unit durably."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(dumps({"key": key, "records": records}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.done[key] = records

    def clear(self) -> None:
        """Forget progress once the stage's outputs are safely written."""
        self.path.unlink(missing_ok=True)


def run_resumable(
    state: Checkpoint, keys: list[str], work: Callable[[str], list[Record]], desc: str, workers: int = 1
) -> list[Record]:
    """Do `work` for every key not yet done, `workers` keys at a time, recording each as it ends; results in key order.

    Units run on threads so that a model that decodes many calls at once (`ChatModel.concurrency`) gets them: a unit's
    result depends on its own key and replies only, so which thread or when changes nothing. On an error no new unit
    starts, those running are waited for (the replies they bought stay in the reply journal), and the error is raised.
    """
    todo = [key for key in keys if key not in state.done]
    with tqdm(total=len(keys), initial=len(keys) - len(todo), desc=desc, unit="unit") as bar:
        if workers <= 1:
            for key in todo:
                state.add(key, work(key))
                bar.update()
        else:
            pool = ThreadPoolExecutor(workers, thread_name_prefix=f"hum-{desc}")
            try:
                running = {pool.submit(work, key): key for key in todo}
                for done in as_completed(running):
                    state.add(running[done], done.result())
                    bar.update()
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    return [r for k in keys for r in state.done[k]]


def unit_seed(seed: int, key: str) -> int:
    """A seed of its own for each unit of LLM work: results depend on neither order nor resumption."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:4], "big")
