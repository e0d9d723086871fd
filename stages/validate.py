"""DVC stage `validate`: pandera checks on every record; failures go to quarantine with a reason."""

from __future__ import annotations

from pathlib import Path

from hum.io import read_jsonl
from hum.provenance import load_params, model_of
from hum.step import run_stage
from hum.validate import Validate

IN, OUT = Path("data/decontaminated/instructions.jsonl"), Path("data/validated")


def main() -> None:
    """Write valid records and a quarantine file."""
    params = load_params()
    step = Validate(**params["validate"])
    run_stage(step, read_jsonl(IN), OUT, "quarantine.jsonl", {"validate": params["validate"]}, model=model_of(IN.parent))


if __name__ == "__main__":
    main()
