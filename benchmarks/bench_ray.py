"""Ray's overhead: the validate stage on the local runner and on the Ray runner, in one process, over the same file.

Run: python benchmarks/bench_ray.py [n_records] [records.jsonl]     (needs the `ray` extra)

Records as `bench_validate.py` makes them (the pipeline's `data/decontaminated/instructions.jsonl` under fresh ids,
default 50,000, one in 50 broken), the approximate tokenizer. The Ray side joins `$RAY_ADDRESS` when it is set, else
starts a local Ray on `hum.cores.data_workers()` cores (timed apart: a cluster is up before its jobs come). Each Ray run
reads the file through Ray Data and starts its `map_batches` actors (one per CPU), shipping them the step, as the
stage does. Prints records/s of each runner, the ratio,
and whether both wrote the same bytes (files and metrics). On one small machine Ray can only lose: the figure is what
its scheduling, object store and actor start-up cost over forked workers.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench_validate import SOURCE, timed, workspace
from hum.cores import data_workers
from hum.runners import Runner
from hum.runners.local import Local
from hum.runners.ray import Ray, connect
from hum.step import JsonLines, run_stage
from hum.tokens import ApproximateTokenizer
from hum.validate import Validate

FILES = ("instructions.jsonl", "quarantine.jsonl", "manifest.json")
LIMITS = (8000, 4000, 2048, 1024)  # validate's character and token limits, as in conf/config.yaml


def run(path: Path, out: str, runner: Runner) -> int:
    """The validate stage's path with `runner` into `out`; returns how many records it kept."""
    step = Validate(*LIMITS, None, tokenizer=ApproximateTokenizer())
    run_stage(step, JsonLines(path), Path(out), "quarantine.jsonl", {"validate": {}}, model=None, runner=runner)
    Path("metrics/validate.json").rename(f"{out}.metrics.json")
    return step.stats["out"]


def written(out: str) -> list[bytes]:
    """Every file a run wrote, its metrics included."""
    return [Path(out, name).read_bytes() for name in FILES] + [Path(f"{out}.metrics.json").read_bytes()]


def main() -> None:
    """Local, then Ray twice (its second run reuses the worker processes Ray keeps), then the comparison."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    source = Path(sys.argv[2]) if len(sys.argv) > 2 else SOURCE
    with workspace(n, source) as (_, path):
        local, _ = timed(n, f"local runner, {data_workers()} worker processes", lambda: run(path, "local", Local()))
        t0 = time.perf_counter()
        connect(None)
        print(f"{'Ray up (ray.init)':<52} {time.perf_counter() - t0:>9.1f} s")
        first, _ = timed(n, "ray runner, first run", lambda: run(path, "ray", Ray()))
        second, _ = timed(n, "ray runner, second run", lambda: run(path, "ray2", Ray()))
        same = written("local") == written("ray") == written("ray2")
    print(f"ratio local / ray: {local / first:.2f}x (first run), {local / second:.2f}x (second run)")
    print(f"files and metrics of both runners: {'identical' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
