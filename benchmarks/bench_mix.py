"""Mix throughput and memory at two sizes, against a plain read-shuffle-write baseline run in the same process.

Run: python benchmarks/bench_mix.py [n_records]   (default 20,000: n/2 and n records)

The stage (`write_corpus`: index, caps and shuffle on int64 pointers, both splits written as records are read back,
then the chat export files and the card; Parquet is left out, it is `datasets`' own writer) against the least any
seeded shuffle of a JSON-lines file does: read every line into a list, shuffle it, write it. Prints records/s and
peak traced memory (tracemalloc: Python and numpy allocations) per record of both, and their ratios.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_dedup import records, traced
from hum.io import dumps
from hum.mix import Inputs, write_corpus

PARAMS = {"seed": 13, "mix": {"general_share": 0.0, "validation_share": 0.02, "exports": ["messages", "alpaca", "sharegpt"]}}


def baseline(source: Path, dest: Path) -> None:
    """Read every line, shuffle the list with a seeded RNG, write it."""
    with source.open("rb") as fh:
        lines = fh.readlines()
    random.Random(13).shuffle(lines)
    with dest.open("wb") as fh:
        fh.writelines(lines)


def timed(run: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def one_size(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        validated, prepared = folder / "validated" / "instructions.jsonl", folder / "prepared"
        prepared.mkdir()
        validated.parent.mkdir()
        (validated.parent / "manifest.json").write_text('{"model": null}', encoding="utf-8")
        with validated.open("w", encoding="utf-8") as fh:
            fh.writelines(dumps(r) + "\n" for r in records(n))
        sources = folder / "SOURCES.md"
        sources.write_text("| file | licence |\n|---|---|\n", encoding="utf-8")
        inputs = Inputs(validated=validated, prepared=prepared, sources=sources)

        def stage() -> None:
            write_corpus(inputs, PARAMS, folder / "corpus", metrics=folder / "metrics")

        def plain() -> None:
            baseline(validated, folder / "shuffled.jsonl")

        seconds, base_seconds = timed(stage), timed(plain)
        peak, base_peak = traced(stage), traced(plain)
    print(f"records={n}: stage {seconds:.1f}s ({n / seconds:,.0f} rec/s), read-shuffle-write {base_seconds:.2f}s "
          f"({n / base_seconds:,.0f} rec/s): time ratio {seconds / base_seconds:.1f}")  # fmt: skip
    print(f"    peak traced memory: stage {peak / 2**20:.1f} MiB ({peak / n:,.0f} B/record), read-shuffle-write "
          f"{base_peak / 2**20:.1f} MiB ({base_peak / n:,.0f} B/record): memory ratio {peak / base_peak:.2f}")  # fmt: skip


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    for size in (n // 2, n):
        one_size(size)


if __name__ == "__main__":
    main()
