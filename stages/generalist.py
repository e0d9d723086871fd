"""DVC stage `generalist`: free-form requests with grounded answers, written by the LLM over seed texts.

Every LLM call goes through the recorded replies in `data/replies/generalist/`: a rebuild replays them.
"""

from __future__ import annotations

from pathlib import Path

from hum.llm.replies import finish, recording
from hum.prepare import train_records
from hum.provenance import stage_params
from hum.runners.hosts import host_of
from hum.synthesis import build_generalist

PREPARED, OUT = Path("data/prepared"), Path("data/generalist")


def main() -> None:
    """Synthesise over the prepared training texts of every task dataset."""
    with stage_params("generalist") as params:
        used = {"seed": params["seed"], "generalist": params["generalist"], "model": params["model"]}
        host = host_of(params.get("runner"))  # here or on Ray actors: the replies are the same
        model = recording(params["model"], "generalist", used, host=host)  # the model is loaded at the first unrecorded call
        build_generalist(train_records(PREPARED, exclude_task="general"), model, used, OUT)
        finish(model, "generalist")


if __name__ == "__main__":
    main()
