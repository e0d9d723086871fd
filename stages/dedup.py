"""DVC stage `dedup`: drop exact and near-duplicate instruction records."""

from __future__ import annotations

from itertools import chain
from pathlib import Path

from hum.dedup import Dedup
from hum.io import read_jsonl
from hum.provenance import load_params, model_of
from hum.step import run_stage

INPUTS, OUT = (Path("data/generated/instructions.jsonl"), Path("data/generalist/instructions.jsonl")), Path("data/deduped")


def main() -> None:
    """Keep the first record of every duplicate group; removed ones are listed with the reason."""
    params = load_params()
    records = chain.from_iterable(read_jsonl(p) for p in INPUTS)
    run_stage(
        Dedup(**params["dedup"]), records, OUT, "removed.jsonl", {"dedup": params["dedup"]}, model=model_of(INPUTS[0].parent)
    )


if __name__ == "__main__":
    main()
