"""DVC stage `summary`: the stages' metrics condensed into `metrics/summary.json`, the file `dvc exp show` compares."""

from __future__ import annotations

from pathlib import Path

from hum.io import write_json
from hum.provenance import stage_params
from hum.summary import summarize

METRICS = Path("metrics")


def main() -> None:
    """Write the summary and print it on one line, naming the ablation it was built with."""
    with stage_params("summary") as params:
        ablation = params["ablation"]
        summary = summarize(METRICS)
        write_json(METRICS / "summary.json", summary)
    tasks = ", ".join(f"{task} {n}" for task, n in summary["tasks"].items())
    print(f"[summary] ablation {ablation}: {summary['records']} records ({tasks}); 4-gram diversity {summary['4gram']}")


if __name__ == "__main__":
    main()
