"""DVC stage `generalist`: free-form requests with grounded answers, written by the LLM over seed texts."""

from __future__ import annotations

from pathlib import Path

from hydra.utils import instantiate

from hum.prepare import train_records
from hum.provenance import load_params
from hum.synthesis import build_generalist

PREPARED, OUT = Path("data/prepared"), Path("data/generalist")


def main() -> None:
    """Synthesise over the prepared training texts of every task dataset."""
    params = load_params()
    used = {"seed": params["seed"], "generalist": params["generalist"], "model": params["model"]}
    build_generalist(train_records(PREPARED, exclude_task="general"), instantiate(params["model"]), used, OUT)


if __name__ == "__main__":
    main()
