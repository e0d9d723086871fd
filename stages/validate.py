"""DVC stage `validate`: pandera checks on every record; failures go to quarantine with a reason.

Token lengths are measured with the configured `model`'s tokenizer (its GGUF vocabulary; an estimate for a server
model). Too many rejects (`validate.max_reject_rate`) fail the stage, and nothing is published.
"""

from __future__ import annotations

from pathlib import Path

from hum.provenance import model_of, stage_params
from hum.runners import runner_of
from hum.step import JsonLines, StageError, run_stage
from hum.tokens import tokenizer
from hum.validate import Validate

IN, OUT = Path("data/decontaminated/instructions.jsonl"), Path("data/validated")


def main() -> None:
    """Write valid records and a quarantine file; exit non-zero with the reason when a guard fails."""
    with stage_params("validate") as params:
        step = Validate(**params["validate"], tokenizer=tokenizer(params["model"]))
        used = {"validate": params["validate"], "model": params["model"]}
        runner = runner_of(params.get("runner"))  # where the batches run changes no output, so it is no stage param
        try:
            run_stage(step, JsonLines(IN), OUT, "quarantine.jsonl", used, model=model_of(IN.parent), runner=runner)
        except StageError as exc:
            raise SystemExit(str(exc)) from None


if __name__ == "__main__":
    main()
