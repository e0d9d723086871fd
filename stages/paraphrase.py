"""DVC stage `paraphrase`: checked LLM paraphrases of the human descriptions, as proposals for `hum review` (resumable)."""

from __future__ import annotations

from pathlib import Path

from hydra.utils import instantiate

from hum.pool import build_pool
from hum.provenance import load_params

OUT = Path("data/pool")
TEMPLATES = Path("data/templates/descriptions.yaml")


def main() -> None:
    """Paraphrase every human description with the configured model; `data/pool/proposals.jsonl` awaits review."""
    params = load_params()
    model = instantiate(params["model"])
    used = {"seed": params["seed"], "paraphrase": params["paraphrase"], "model": params["model"]}
    build_pool(TEMPLATES, model, used, OUT)


if __name__ == "__main__":
    main()
