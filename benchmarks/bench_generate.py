"""Generation speed: `Generate.process` against a minimal render -> JSON -> parse loop over the same seeds, in one process.

Run: python benchmarks/bench_generate.py [n_seeds] [task]

Seeds: this project's prepared training records (`data/prepared`, general data aside), of one task if `task` is given,
repeated under fresh ids up to `n_seeds` (default 20,000), so every repeat draws anew. Both sides take the project's
`params.yaml` and produce `generate.per_record` instructions per seed:

- hum: `Generate.process`, as `stages/generate.py` runs it (context loaded beforehand, not timed), plus `dumps` of each
  record, as the stage writes it;
- baseline: per instruction the first description of the seed's task, its text, and the gold rows of the task's query
  (all labels, worked out beforehand) as a JSON answer; the record dumped, parsed back and checked: no code of hum's
  is timed, so the baseline measures the machine, and the ratio compares versions of hum.

Prints instructions/s of both and their ratio, with CPU time (less sensitive to other load than wall time).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
from pathlib import Path

import yaml

from hum.generate import Context, Generate, load_context
from hum.io import Record, dumps
from hum.prepare import train_records
from hum.tasks import TASKS

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"


def seeds(n: int, task: str | None) -> list[Record]:
    """`n` prepared training records in turn, each under a fresh id."""
    base = [r for r in train_records(DATA / "prepared", exclude_task="general") if task is None or r["task"] == task]
    return [{**r, "id": f"{r['id']}~{i}"} for i, r in zip(range(n), itertools.cycle(base), strict=False)]


def hum_side(records: list[Record], ctx: Context) -> tuple[int, float]:
    step = Generate(ctx)
    start = time.process_time()
    lines = [dumps(r) for r in step.process(records)]
    return len(lines), time.process_time() - start


def baseline(records: list[Record], ctx: Context) -> tuple[int, float]:
    asked = []  # the gold rows and a description per seed, worked out beforehand: the loop times no code of hum's
    for record in records:
        task = TASKS[record["task"]]
        query = task.query(record, ctx.labelsets[record["dataset"]], random.Random(0), task.subtasks[0])
        asked.append((record, ctx.descriptions[(record["lang"], query.task, query.subtask)][0]["text"], query))
    start, n = time.process_time(), 0
    for record, description, query in asked:
        for k in range(ctx.params["per_record"]):
            answer = json.dumps([dict(zip(query.columns, r, strict=True)) for r in query.rows], ensure_ascii=False)
            messages = [
                {"role": "user", "content": f"{description}\n\n{record['text']}"},
                {"role": "assistant", "content": answer},
            ]
            line = json.dumps({"id": f"{record['id']}#{k}", "messages": messages}, ensure_ascii=False, sort_keys=True)
            if json.loads(json.loads(line)["messages"][1]["content"]) != json.loads(answer):
                raise AssertionError(record["id"])
            n += 1
    return n, time.process_time() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    task = sys.argv[2] if len(sys.argv) > 2 else None
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    folders = DATA / "prepared", DATA / "templates", DATA / "pool/proposals.jsonl", DATA / "guidelines"
    ctx = load_context(*folders, params=params["generate"], seed=params["seed"])
    records = seeds(n, task)
    made, took = hum_side(records, ctx)
    base_n, base_took = baseline(records, ctx)
    print(f"{n:,} seeds ({task or 'every task'}): hum {made:,} instructions, {made / took:,.0f}/s (CPU); "
          f"baseline {base_n:,}, {base_n / base_took:,.0f}/s")  # fmt: skip
    print(f"ratio hum / baseline: {made / took / (base_n / base_took):.3f}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
