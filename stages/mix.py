"""DVC stage `mix`: caps, ratios and general data in a seeded shuffle; train/validation by seed text; exports and card."""

from __future__ import annotations

from pathlib import Path

from hum.mix import Inputs, summary_line, write_corpus
from hum.provenance import stage_params
from hum.runners import runner_of

DATA = Path("data")
INPUTS = Inputs(
    validated=DATA / "validated/instructions.jsonl",
    prepared=DATA / "prepared",
    sources=DATA / "seeds/SOURCES.md",
    upstream=tuple(DATA / d for d in ("prepared", "pool", "generated", "generalist", "deduped", "decontaminated", "validated")),
)
OUT = DATA / "corpus"


def main() -> None:
    """Write `data/corpus/` (splits, exports, README.md card, manifest), `metrics/corpus.json` and `metrics/plots/`."""
    with stage_params("mix") as params:
        runner = runner_of(params.get("runner"))  # where the batches run changes no output, so it is no stage param
        summary = write_corpus(INPUTS, {"seed": params["seed"], "mix": params["mix"]}, OUT, runner=runner)
        print(summary_line(summary))


if __name__ == "__main__":
    main()
