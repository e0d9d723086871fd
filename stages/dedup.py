"""DVC stage `dedup`: drop exact and near-duplicate instruction records."""

from __future__ import annotations

from itertools import chain
from pathlib import Path

from hum.dedup import Dedup
from hum.io import atomic_dir, read_jsonl, write_json
from hum.provenance import load_params, model_of, write_manifest
from hum.step import run_step

INPUTS, OUT = (Path("data/generated/instructions.jsonl"), Path("data/generalist/instructions.jsonl")), Path("data/deduped")


def main() -> None:
    """Keep the first record of every duplicate group; removed ones are listed with the reason."""
    params = load_params()
    step = Dedup(**params["dedup"])
    with atomic_dir(OUT) as out:
        run_step(step, chain.from_iterable(read_jsonl(p) for p in INPUTS), out / "instructions.jsonl", out / "removed.jsonl")
        write_manifest(out, "dedup", {"dedup": params["dedup"]}, dict(step.stats), model_of(INPUTS[0].parent))
    write_json("metrics/dedup.json", dict(step.stats))


if __name__ == "__main__":
    main()
