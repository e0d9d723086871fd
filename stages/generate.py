"""DVC stage `generate`: prepared seed records -> instruction/answer pairs rendered from gold."""

from __future__ import annotations

from pathlib import Path

from hum.generate import Generate, load_context
from hum.prepare import train_records
from hum.provenance import load_params, model_of
from hum.step import run_stage

PREPARED, POOL, GUIDELINES, OUT = Path("data/prepared"), Path("data/pool"), Path("data/guidelines"), Path("data/generated")


def main() -> None:
    """Generate for every prepared task dataset (general data goes to `mix` as it is)."""
    params = load_params()
    used = {"seed": params["seed"], "generate": params["generate"]}
    step = Generate(load_context(PREPARED, POOL / "descriptions.jsonl", GUIDELINES, params["generate"], params["seed"]))
    run_stage(step, train_records(PREPARED, exclude_task="general"), OUT, "rejects.jsonl", used, model=model_of(POOL))


if __name__ == "__main__":
    main()
