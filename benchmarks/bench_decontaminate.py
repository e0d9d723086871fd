"""Decontamination speed: the stage with its batch screen against the step as it was, over the same file, in one process.

Run: python benchmarks/bench_decontaminate.py [n_records] [records.jsonl] [prepared_dir]

Records: those of `records.jsonl` (default: the pipeline's `data/deduped/instructions.jsonl`, what the stage reads)
in turn, each under a fresh id, up to `n_records` (default 50,000). The eval side: the `*.eval.jsonl` files of
`prepared_dir` (default `data/prepared`) under this project's `decontaminate` params, indexed once (timed apart).
For the corpus of the 1M build, keep a scratch project of `bench_build.py --dir DIR` and pass
`DIR/data/deduped/instructions.jsonl DIR/data/prepared`.

One record in PLANT_EVERY has eval text planted, by each way of `PLANTS` in turn (its input replaced by an eval
text, an eval n-gram quoted in its input, a short eval text added to its request), so both sides remove as well as
keep. Both run `run_stage` over the same JSON-lines file, as `stages/decontaminate.py` does, writing instructions,
removed records, manifest and metrics:

- hum: the `Decontaminate` step: each distinct text of a batch tokenised once, whole-text and window hashes of the
  batch in numpy looked up among the eval side's, the exact path only for texts with a hit;
- baseline: the step as it was, kept here: per record and field, the general tokeniser, the prefix hashes of
  `Hashed` and every window looked up in Python (`EvalIndex.find`).

Each runs in one process and on a worker process per core (`hum.cores.data_workers`, or `HUM_WORKERS`). Prints
records/s and CPU time per record (this process and its workers: the figure to trust on a loaded machine) of each,
the ratios, how many records each removed, the CPU time of each step alone (parsed records in batches: what the
stage spends beyond it is JSON, the record guard and files, the same for both), and whether all runs wrote the
same bytes (both files, the manifest and the metrics).
"""

from __future__ import annotations

import contextlib
import filecmp
import itertools
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from hum.cores import data_workers
from hum.decontaminate import (
    _TOKEN,
    FIELDS,
    Decontaminate,
    EvalIndex,
    Hashed,
    Sizes,
    build_index,
    eval_records,
    is_cjk,
    normalise,
    request_text,
    tokens,
)
from hum.io import Record, dumps, read_jsonl
from hum.records import input_text, message
from hum.step import JsonLines, batched, run_stage

REPO = Path(__file__).resolve().parents[1]
RECORDS, PREPARED = REPO / "data" / "deduped" / "instructions.jsonl", REPO / "data" / "prepared"
PLANT_EVERY = 100
OUTPUTS = ("instructions.jsonl", "removed.jsonl", "manifest.json", "decontaminate.json")


class Baseline(Decontaminate):
    """The step before the screen: one record at a time, every window of both fields hashed and looked up in Python."""

    def process(self, batch: list[Record]) -> list[Record]:
        return [r for r in batch if self.kept(r)]

    def kept(self, record: Record) -> bool:
        for name, text in zip(FIELDS, (input_text(record), request_text(record)), strict=True):
            found = self._contaminated(Hashed(_TOKEN.findall(normalise(text))))
            if found is not None:
                self._remove(record, name, *found)
                return False
        return True


def with_user(record: Record, user: str, span: tuple[int, int]) -> Record:
    """The record with another user message and text span."""
    messages = [{**m, "content": user} if m["role"] == "user" else m for m in record["messages"]]
    return {**record, "messages": messages, "meta": {**record["meta"], "text_span": list(span)}}


def copied(record: Record, text: str) -> Record:
    """The input replaced by a long eval text."""
    user, (start, end) = message(record, "user"), record["meta"]["text_span"]
    return with_user(record, user[:start] + text + user[end:], (start, start + len(text)))


def quoted(record: Record, text: str) -> Record:
    """The first 14 words of a long eval text (one more than an n-gram) added to the input."""
    user, (start, end) = message(record, "user"), record["meta"]["text_span"]
    inserted = " " + " ".join(text.split()[:14])
    return with_user(record, user[:end] + inserted + user[end:], (start, end + len(inserted)))


def asked(record: Record, text: str) -> Record:
    """A short eval text added to the request, after the user message."""
    return with_user(record, f"{message(record, 'user')}\n\n{text}", tuple(record["meta"]["text_span"]))


PLANTS: tuple[tuple[Callable[[Record, str], Record], bool], ...] = ((copied, True), (quoted, True), (asked, False))


def eval_texts(prepared: Path, sizes: Sizes) -> dict[bool, list[str]]:
    """Non-CJK eval texts of the prepared folder: {True: long (n-grams and 14 words), False: short (searched inside)}."""
    out: dict[bool, list[str]] = {True: [], False: []}
    for _, _, texts in eval_records(prepared):
        for text in texts:
            toks = tokens(text)
            if toks and not is_cjk(toks) and (len(toks) > sizes.n or sizes.min_contained <= len(toks) < sizes.n):
                out[len(toks) >= sizes.n and len(text.split()) >= 14].append(text)
    return out


def corpus(n: int, source: Path, texts: dict[bool, list[str]]) -> Iterator[Record]:
    """n records of `source` in turn under fresh ids; one in PLANT_EVERY with eval text planted (see `PLANTS`)."""
    planted = 0
    for i, record in zip(range(n), itertools.cycle(read_jsonl(source)), strict=False):
        record = {**record, "id": f"{record['id']}#{i}"}  # noqa: PLW2901 - the same record, renamed
        if i % PLANT_EVERY == PLANT_EVERY - 1 and all(texts.values()):
            plant, long = PLANTS[planted % len(PLANTS)]
            record = plant(record, texts[long][planted % len(texts[long])])  # noqa: PLW2901
            planted += 1
        yield record


def stage(step: Decontaminate, path: Path, out: Path, workers: int) -> int:
    """The stage's path over a JSON-lines file, metrics copied into `out`; returns how many records it removed."""
    run_stage(step, JsonLines(path), out, "removed.jsonl", {"decontaminate": {}}, model=None, workers=workers)
    shutil.copy(Path("metrics", "decontaminate.json"), out)
    return step.stats["in"] - step.stats["out"]


def cpu_seconds() -> float:
    """CPU time of this process and of its ended children (the workers): a measure that other load barely moves."""
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def timed(n: int, what: str, run: Callable[[], int]) -> tuple[float, float]:
    """Records/s of one run and its CPU time per record, printed with how many records it removed."""
    t0, c0 = time.perf_counter(), cpu_seconds()
    removed = run()
    rate, cpu = n / (time.perf_counter() - t0), (cpu_seconds() - c0) / n
    print(f"{what:<36} {rate:>8,.0f} records/s {cpu * 1e6:>6.0f} us CPU/record  removed {removed}")
    return rate, cpu


def step_alone(records: list[Record], step: Decontaminate) -> float:
    """CPU time per record of the step alone, batch by batch: no JSON, no record guard, no files."""
    c0 = cpu_seconds()
    for batch in batched(records, step.batch_size):
        step(batch)
    return (cpu_seconds() - c0) / len(records)


@contextlib.contextmanager
def workspace(n: int, source: Path, prepared: Path) -> Iterator[tuple[Path, EvalIndex, dict[str, Any]]]:
    """The records' file and the eval side's index, in a temporary working folder (run_stage writes metrics/ there)."""
    cfg = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))["decontaminate"]
    sizes = Sizes(**{k: int(cfg[k]) for k in ("n", "n_cjk", "min_contained", "min_contained_cjk")})
    t0 = time.perf_counter()
    index = build_index(prepared, [], sizes)
    print(f"eval side of {prepared}: {index.stats()} indexed in {time.perf_counter() - t0:.1f} s")
    texts = eval_texts(prepared, sizes)
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        path = Path("instructions.jsonl")
        lines = [dumps(r) + "\n" for r in corpus(n, source, texts)]
        path.write_text("".join(lines), encoding="utf-8")
        Path("warm-up.jsonl").write_text("".join(lines[:PLANT_EVERY]), encoding="utf-8")
        print(f"records={n} from {source}, eval text planted in one in {PLANT_EVERY}; {data_workers()} cores")
        limits = {"min_matches": int(cfg["min_matches"]), "min_share": float(cfg["min_share"])}
        stage(Decontaminate(index, **limits), Path("warm-up.jsonl"), Path("warm-up"), 1)  # pandera's first frame: once
        yield path, index, limits


def main() -> None:
    """Both steps over the same file, in one process and on the workers; then whether all wrote the same bytes."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    source = Path(sys.argv[2]) if len(sys.argv) > 2 else RECORDS
    prepared = Path(sys.argv[3]) if len(sys.argv) > 3 else PREPARED
    workers = data_workers()
    with workspace(n, source, prepared) as (path, index, limits):
        rates = {}
        for name, cls in (("baseline", Baseline), ("hum", Decontaminate)):
            for count in dict.fromkeys((1, workers)):
                where = f"{count} worker processes" if count > 1 else "one process"
                run = partial(stage, cls(index, **limits), path, Path(f"{name}-{count}"), count)
                rates[name, count] = timed(n, f"{name} step, {where}", run)
        outs = [Path(f"{name}-{count}") for name, count in rates]
        same = all(filecmp.cmp(outs[0] / f, out / f, shallow=False) for out in outs[1:] for f in OUTPUTS)
        records = list(read_jsonl(path))
        alone = [step_alone(records, cls(index, **limits)) for cls in (Baseline, Decontaminate)]
    for count in dict.fromkeys((1, workers)):
        (hum, hum_cpu), (base, base_cpu) = rates["hum", count], rates["baseline", count]
        print(f"ratio hum / baseline on {count} process(es): {hum / base:.2f}x records/s, {base_cpu / hum_cpu:.2f}x less CPU")
    print(f"step alone (no JSON, guard or files), one process: baseline {alone[0] * 1e6:.0f} us, hum {alone[1] * 1e6:.0f} us "
          f"CPU/record: {alone[0] / alone[1]:.2f}x less")  # fmt: skip
    print(f"outputs of all {len(outs)} runs (instructions, removed, manifest, metrics): {'identical' if same else 'DIFFERENT'}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
