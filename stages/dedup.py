"""DVC stage `dedup`: drop exact and near-duplicate instruction records, settle conflicting answers."""

from __future__ import annotations

from pathlib import Path

from hum.dedup import run_dedup
from hum.provenance import model_of, stage_params
from hum.runners import runner_of

INPUTS, OUT = (Path("data/generated/instructions.jsonl"), Path("data/generalist/instructions.jsonl")), Path("data/deduped")


def main() -> None:
    """Keep the first record of every duplicate group; removals and conflicts are listed beside the output."""
    with stage_params("dedup") as params:
        runner = runner_of(params.get("runner"))  # where the per-record work runs changes no output, so it is no stage param
        run_dedup(INPUTS, OUT, params["dedup"], model=model_of(INPUTS[0].parent), runner=runner)


if __name__ == "__main__":
    main()
