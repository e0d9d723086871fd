"""DVC stage `paraphrase`: checked LLM paraphrases of the human descriptions, as proposals for `hum review` (resumable).

Every LLM call goes through the recorded replies in `data/replies/paraphrase/`: a rebuild replays them.
"""

from __future__ import annotations

from pathlib import Path

from hum.llm.replies import finish, recording
from hum.pool import build_pool
from hum.provenance import stage_params
from hum.runners.hosts import host_of

OUT = Path("data/pool")
TEMPLATES = Path("data/templates/descriptions.yaml")


def main() -> None:
    """Paraphrase every human description with the configured model; `data/pool/proposals.jsonl` awaits review."""
    with stage_params("paraphrase") as params:
        used = {"seed": params["seed"], "paraphrase": params["paraphrase"], "model": params["model"]}
        host = host_of(params.get("runner"))  # here or on Ray actors: the replies are the same
        model = recording(params["model"], "paraphrase", used, host=host)  # the model is loaded at the first unrecorded call
        build_pool(TEMPLATES, model, used, OUT)
        finish(model, "paraphrase")


if __name__ == "__main__":
    main()
