"""DVC stage `summary`: the stages' metrics condensed into `metrics/summary.json`, the file `dvc exp show` compares."""

from __future__ import annotations

from pathlib import Path

from hum.io import write_json
from hum.summary import summarize

METRICS = Path("metrics")


def main() -> None:
    """Write the summary and print it on one line."""
    summary = summarize(METRICS)
    write_json(METRICS / "summary.json", summary)
    tasks = ", ".join(f"{task} {n}" for task, n in summary["tasks"].items())
    print(f"[summary] {summary['records']} records ({tasks}); 4-gram diversity {summary['diversity']['4gram']}")


if __name__ == "__main__":
    main()
