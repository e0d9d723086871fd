"""DVC stage `generate`: prepared seed records -> instruction/answer pairs rendered from gold."""

from __future__ import annotations

from pathlib import Path

from hum.generate import Generate, load_context
from hum.io import atomic_dir, write_json
from hum.prepare import train_records
from hum.provenance import load_params, model_of, write_manifest
from hum.step import run_step

PREPARED, POOL, GUIDELINES, OUT = Path("data/prepared"), Path("data/pool"), Path("data/guidelines"), Path("data/generated")


def main() -> None:
    """Generate for every prepared task dataset (general data goes to `mix` as it is)."""
    params = load_params()
    used = {"seed": params["seed"], "generate": params["generate"]}
    step = Generate(load_context(PREPARED, POOL / "descriptions.jsonl", GUIDELINES, params["generate"], params["seed"]))
    with atomic_dir(OUT) as out:
        run_step(step, train_records(PREPARED, exclude_task="general"), out / "instructions.jsonl", out / "rejects.jsonl")
        write_manifest(out, "generate", used, dict(step.stats), model_of(POOL))
    write_json("metrics/generate.json", dict(step.stats))


if __name__ == "__main__":
    main()
