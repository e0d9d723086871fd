"""DVC stage `validate`: pandera checks on every record; failures go to quarantine with a reason."""

from __future__ import annotations

from pathlib import Path

from hum.io import atomic_dir, read_jsonl, write_json
from hum.provenance import load_params, model_of, write_manifest
from hum.step import run_step
from hum.validate import Validate

IN, OUT = Path("data/deduped/instructions.jsonl"), Path("data/validated")


def main() -> None:
    """Write valid records and a quarantine file."""
    params = load_params()
    step = Validate(**params["validate"])
    with atomic_dir(OUT) as out:
        run_step(step, read_jsonl(IN), out / "instructions.jsonl", out / "quarantine.jsonl")
        write_manifest(out, "validate", {"validate": params["validate"]}, dict(step.stats), model_of(IN.parent))
    write_json("metrics/validate.json", dict(step.stats))


if __name__ == "__main__":
    main()
