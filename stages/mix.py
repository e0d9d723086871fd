"""DVC stage `mix`: per-task ratios plus general data, seeded shuffle, the corpus and its metrics."""

from __future__ import annotations

from pathlib import Path

from hum.mix import write_corpus
from hum.provenance import load_params

VALIDATED, GENERAL, OUT = Path("data/validated/instructions.jsonl"), Path("data/prepared"), Path("data/corpus")


def main() -> None:
    """Write `data/corpus/train.jsonl` and `metrics/corpus.json`."""
    params = load_params()
    write_corpus(VALIDATED, GENERAL, {"seed": params["seed"], "mix": params["mix"]}, OUT)


if __name__ == "__main__":
    main()
