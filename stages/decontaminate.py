"""DVC stage `decontaminate`: drop instruction records that overlap the eval splits or the configured benchmarks."""

from __future__ import annotations

from pathlib import Path

from hum.decontaminate import Decontaminate
from hum.provenance import model_of, stage_params
from hum.runners import runner_of
from hum.step import JsonLines, run_stage

IN, PREPARED, OUT = Path("data/deduped/instructions.jsonl"), Path("data/prepared"), Path("data/decontaminated")


def main() -> None:
    """Keep records that share no n-gram with the eval side; removed ones name the eval record they matched."""
    with stage_params("decontaminate") as params:
        used = {"decontaminate": params["decontaminate"]}
        step = Decontaminate.from_config(PREPARED, used["decontaminate"])
        runner = runner_of(params.get("runner"))  # where the batches run changes no output, so it is no stage param
        run_stage(step, JsonLines(IN), OUT, "removed.jsonl", used, model=model_of(IN.parent), runner=runner)


if __name__ == "__main__":
    main()
