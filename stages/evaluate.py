"""DVC stage `evaluate`: the held-out split of each dataset asked of `evaluate.model` and scored per task."""

from __future__ import annotations

from pathlib import Path

from hum.evaluation.run import evaluate, summary_line
from hum.io import atomic_dir, write_json, write_jsonl
from hum.llm.replies import finish, recording
from hum.provenance import stage_params, write_manifest
from hum.runners.hosts import host_of

PREPARED, TEMPLATES, GUIDELINES = Path("data/prepared"), Path("data/templates"), Path("data/guidelines")
OUT = Path("data/eval")


def main() -> None:
    """Write `data/eval/predictions.jsonl` (every reply with its gold answer), the manifest and `metrics/eval.json`."""
    with stage_params("evaluate") as params:
        used = {"seed": params["seed"], "generate": params["generate"], "evaluate": params["evaluate"]}
        host = host_of(params.get("runner"))  # here or on Ray actors: the replies are the same
        chat = recording(params["evaluate"]["model"], "evaluate", used, host=host)  # loaded at the first unrecorded call only
        predictions, report = evaluate(PREPARED, TEMPLATES, GUIDELINES, used, chat)
        with atomic_dir(OUT) as tmp:
            write_jsonl(tmp / "predictions.jsonl", predictions)
            write_manifest(tmp, "evaluate", used, report, chat.fingerprint)
        write_json("metrics/eval.json", report)
        finish(chat, "evaluate")
    print(summary_line(report))


if __name__ == "__main__":
    main()
