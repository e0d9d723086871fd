"""DVC stage `generate`: prepared seed records -> instruction/answer pairs rendered from gold."""

from __future__ import annotations

from pathlib import Path

from hum.generate import Generate, load_context
from hum.prepare import train_files
from hum.provenance import model_of, stage_params
from hum.runners import runner_of
from hum.step import JsonLines, run_stage

PREPARED, TEMPLATES, POOL, GUIDELINES = Path("data/prepared"), Path("data/templates"), Path("data/pool"), Path("data/guidelines")
OUT = Path("data/generated")


def main() -> None:
    """Generate for every prepared task dataset (general data goes to `mix` as it is)."""
    with stage_params("generate") as params:
        used = {"seed": params["seed"], "generate": params["generate"]}
        ctx = load_context(PREPARED, TEMPLATES, POOL / "proposals.jsonl", GUIDELINES, params=used["generate"], seed=used["seed"])
        step = Generate(ctx)
        seeds = JsonLines(*train_files(PREPARED, exclude_task="general"))  # parsed where its batches run
        runner = runner_of(params.get("runner"))  # where the batches run changes no output, so it is no stage param
        run_stage(step, seeds, OUT, "rejects.jsonl", used, model=model_of(POOL), runner=runner)


if __name__ == "__main__":
    main()
