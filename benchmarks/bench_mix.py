"""Mix time and peak RSS at two sizes, in one process and on 2 workers, against a plain read-shuffle-write baseline.

Run: python benchmarks/bench_mix.py [n_records] [--dir DIR]   (default 20,000: n/2 and n records)

The stage (`write_corpus`: index, caps and shuffle on int64 pointers, both splits written as records are read back,
every export (Parquet included), the card, metrics and plots) on `Local(1)` (this process) and on `Local(2)` (two
forked workers doing the per-record work), against the least any seeded shuffle of a JSON-lines file does: read
every line into a list, shuffle it, write it. Each run is its own process, so its peak RSS (`ru_maxrss`: Python,
numpy, Arrow and mapped pages alike) is its own, and its workers' (the largest of them) apart; printed: wall seconds,
CPU seconds (workers included), records/s and peak RSS of each, their ratios, and whether the two stage runs wrote the
same bytes. Records are synthetic but shaped like the pipeline's (task records of four tasks with `meta`
slots of varying keys, so the Parquet export has a JSON column as on real data; general data in `prepared`).
`--dir DIR` keeps the inputs and outputs there (`DIR/<n>/`) to compare two versions of the code byte for byte.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from hum.io import Record, dumps
from hum.records import meta_record

PARAMS = {"seed": 13, "mix": {"general_share": 0.05, "validation_share": 0.02}}
WORDS = ["".join(random.Random(i).choices("abcdefghijklmnopqrstuvwxyz", k=2 + i % 9)) for i in range(5000)]
LABELS = ["person", "location", "organisation", "product", "event", "work", "group", "date"]
PER_TEXT = 4  # instructions per seed text: the validation split holds a text's instructions together
SLOTS = {"ner": ("label",), "re": ("head", "tail"), "mrc": ("question",), "cls": ("reason",)}
SUBTASKS = {"ner": "entity", "re": "relation", "mrc": "extractive", "cls": "classify"}


def text(i: int) -> str:
    rng = random.Random(i)
    return " ".join(rng.choices(WORDS, k=rng.randint(30, 120))).capitalize() + "."


def synthetic(n: int) -> Iterator[Record]:
    """Task records: a seed text per PER_TEXT records, a request around it, a JSON answer and a full `meta`."""
    for i in range(n):
        rng, seed, task = random.Random(-i), i // PER_TEXT, tuple(SLOTS)[i % len(SLOTS)]
        passage, labels = text(seed), rng.sample(LABELS, rng.randint(1, 4))
        head = f"Find the {', '.join(labels)} in the text.\n\nText:\n~~~\n"
        user = f"{head}{passage}\n~~~"
        gold = [[w, rng.choice(labels)] for w in rng.sample(passage.split(), rng.randint(0, 4))]
        slots = {k: " ".join(rng.choices(WORDS, k=3)) for k in SLOTS[task][: rng.randint(0, len(SLOTS[task]))]}
        meta = meta_record(
            task=task, subtask=SUBTASKS[task], dataset=f"d{seed % 7}", seed_id=f"s{seed}", lang="en",
            kind=("basic", "compound")[i % 2], format="json", rules=rng.sample(["dup:once", "order:alpha"], i % 3),
            description_id=f"en.{task}.{i % 23}", description_source="human/accepted", layout="prose", labels=labels,
            columns=["text", "label"], label_column="label",
            phrasings={"system": f"system.en.{i % 5}", "format": None, "rules": []}, slots=slots, gold=gold,
            offsets=[[j, j + 3] for j in range(len(gold))], text_span=[len(head), len(head) + len(passage)],
        )  # fmt: skip
        system = [{"role": "system", "content": "You are an expert annotator."}] if i % 3 else []
        answer = {"role": "assistant", "content": json.dumps(gold, ensure_ascii=False)}
        yield {
            "id": f"{meta['dataset']}/{seed}#{i % PER_TEXT}",
            "messages": [*system, {"role": "user", "content": user}, answer],
            "meta": meta,
        }


def general(n: int) -> Iterator[Record]:
    """Prepared general records (`text`, `output`), as `prepare` writes them."""
    for i in range(n):
        yield {"id": f"g{i}", "dataset": "general_set", "lang": "en", "task": "general", "text": text(-1 - i), "output": text(i)}


def write_inputs(folder: Path, n: int) -> None:
    """validated/instructions.jsonl (n task records), prepared/general_set.train.jsonl (n/10) and SOURCES.md."""
    for sub in ("validated", "prepared"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "validated/manifest.json").write_text('{"model": null}', encoding="utf-8")
    for path, records in (
        (folder / "validated/instructions.jsonl", synthetic(n)),
        (folder / "prepared/general_set.train.jsonl", general(n // 10)),
    ):
        with path.open("w", encoding="utf-8") as fh:
            fh.writelines(dumps(r) + "\n" for r in records)
    (folder / "SOURCES.md").write_text("| file | licence |\n|---|---|\n", encoding="utf-8")


def run(what: str, folder: Path) -> None:
    """One measured run in this process (`plain`, or `stage<workers>`): print its seconds and peak RSS as JSON."""
    t0 = time.perf_counter()
    if what.startswith("stage"):
        from hum.mix import Inputs, write_corpus  # noqa: PLC0415 - the stage's imports count in its run
        from hum.runners.local import Local  # noqa: PLC0415

        inputs = Inputs(
            validated=folder / "validated/instructions.jsonl", prepared=folder / "prepared", sources=folder / "SOURCES.md"
        )
        runner, out = Local(int(what.removeprefix("stage"))), folder / what
        write_corpus(inputs, PARAMS, out / "corpus", metrics=out / "metrics", runner=runner)
    else:
        with (folder / "validated/instructions.jsonl").open("rb") as fh:
            lines = fh.readlines()
        random.Random(13).shuffle(lines)
        with (folder / "shuffled.jsonl").open("wb") as fh:
            fh.writelines(lines)
    seconds = time.perf_counter() - t0
    me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss": me.ru_maxrss * 1024, "workers_rss": workers.ru_maxrss * 1024}))


def measured(what: str, folder: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--run", what, str(folder)], check=True, capture_output=True, text=True)  # noqa: S603 - this file
    result: dict[str, float] = json.loads(out.stdout.splitlines()[-1])
    return result


def one_size(n: int, folder: Path) -> None:
    write_inputs(folder, n)
    one, two, plain = measured("stage1", folder), measured("stage2", folder), measured("plain", folder)
    b = plain["seconds"]
    for name, stage in (("1 process", one), ("2 workers", two)):
        s = stage["seconds"]
        print(f"records={n}: stage on {name} {s:.1f}s wall, {stage['cpu']:.1f}s CPU ({n / s:,.0f} rec/s), "
              f"peak RSS {stage['rss'] / 2**20:.0f} MiB (workers {stage['workers_rss'] / 2**20:.0f} MiB); "
              f"{s / b:.1f}x read-shuffle-write")  # fmt: skip
    print(f"    2 workers vs 1 process: wall {one['seconds'] / two['seconds']:.2f}x faster, CPU {two['cpu'] / one['cpu']:.2f}x; "
          f"same bytes: {same(folder / 'stage1', folder / 'stage2')}")  # fmt: skip
    print(f"    read-shuffle-write {b:.2f}s ({n / b:,.0f} rec/s), peak RSS {plain['rss'] / 2**20:.0f} MiB")


def same(a: Path, b: Path) -> bool:
    """Whether two folders hold the same files with the same bytes, at every depth."""
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    if files != sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(a / f, b / f, shallow=False) for f in files)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=20000)
    parser.add_argument("--dir", type=Path, help="keep inputs and outputs in DIR/<n>/")
    parser.add_argument("--run", nargs=2, metavar=("WHAT", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run[0], Path(args.run[1]))
        return
    for size in (args.n // 2, args.n):
        if args.dir:
            one_size(size, args.dir / str(size))
            continue
        with tempfile.TemporaryDirectory() as tmp:
            one_size(size, Path(tmp))


if __name__ == "__main__":
    main()
