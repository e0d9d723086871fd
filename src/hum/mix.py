"""Mix task data by per-task ratios with general instruction data, in a seeded shuffle, without loading it all."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from hum.general import to_chat
from hum.io import Record, atomic_dir, atomic_open, dumps, write_json
from hum.provenance import model_of, write_manifest
from hum.report import corpus_metrics

Pointer = tuple[int, int]  # (source index, byte offset of the line)


def index_by_key(path: Path, key: str, source: int) -> dict[str, list[Pointer]]:
    """Byte offsets of each record, grouped by a field of `meta` (or of the record when it has no `meta`)."""
    groups: dict[str, list[Pointer]] = defaultdict(list)
    with path.open("rb") as fh:
        offset = 0
        for line in fh:
            if line.strip():
                record = json.loads(line)
                groups[str(record.get("meta", record)[key])].append((source, offset))
            offset += len(line)
    return groups


def sample(pointers: list[Pointer], fraction: float, rng: random.Random) -> list[Pointer]:
    """A seeded subset of `fraction` of the pointers (all of them at 1.0)."""
    k = min(len(pointers), round(len(pointers) * fraction))
    return sorted(rng.sample(pointers, k))


def plan(
    tasks: dict[str, list[Pointer]], general: list[Pointer], ratios: dict[str, float], general_share: float, seed: int
) -> list[Pointer]:
    """Which records, in which order: task subsets, then general data to make `general_share` of the whole."""
    rng = random.Random(seed)
    chosen = [p for task in sorted(tasks) for p in sample(tasks[task], ratios.get(task, 1.0), rng)]
    wanted = round(len(chosen) * general_share / (1.0 - general_share)) if general_share < 1 else len(general)
    chosen += sample(general, min(1.0, wanted / len(general)) if general else 0.0, rng)
    rng.shuffle(chosen)
    return chosen


def read_pointers(paths: list[Path], pointers: list[Pointer]) -> Iterator[Record]:
    """Records at the given offsets, in the given order."""
    handles = [p.open("rb") for p in paths]
    try:
        for source, offset in pointers:
            handles[source].seek(offset)
            yield json.loads(handles[source].readline())
    finally:
        for fh in handles:
            fh.close()


def write_corpus(validated: Path, prepared: Path, params: dict[str, Any], out: Path) -> None:
    """Sample, shuffle and write the corpus with its manifest, `metrics/corpus.json` and `metrics/diversity.json`."""
    mix = params["mix"]
    general_files = sorted(prepared.glob("*.train.jsonl"))
    general = [p for i, path in enumerate(general_files, 1) for p in index_by_key(path, "task", i).get("general", [])]
    order = plan(index_by_key(validated, "task", 0), general, mix["ratios"], mix["general_share"], params["seed"])
    with atomic_dir(out) as tmp, atomic_open(tmp / "train.jsonl") as fh:
        records = (r if "messages" in r else to_chat(r) for r in read_pointers([validated, *general_files], order))
        counts, diversity = corpus_metrics(_written(fh, tqdm(records, desc="mix", total=len(order), unit="rec", mininterval=1.0)))
        write_manifest(tmp, "mix", params, counts, model_of(validated.parent))
    write_json("metrics/corpus.json", counts)
    write_json("metrics/diversity.json", diversity)
    print(f"[mix] {counts['records']} records written: " + ", ".join(f"{k} {v}" for k, v in counts["per_task"].items()))


def _written(fh: IO[str], records: Iterable[Record]) -> Iterator[Record]:
    for rec in records:
        fh.write(dumps(rec) + "\n")
        yield rec
