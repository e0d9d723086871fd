"""Validation speed: hum's batched pandera schema against validating one record at a time, in one process.

Run: python benchmarks/bench_validate.py [n_records]. Prints wall times and the speed-up ratio.
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from hum.answers import answer_problem
from hum.io import Record
from hum.schemas import output_schema
from hum.validate import Validate


def corpus(n: int) -> list[Record]:
    """NER records with a JSON answer that parses back to its gold rows."""
    meta = {
        "task": "ner", "subtask": "extract", "format": "json", "rules": [], "columns": ["type", "entity"],
        "label_column": "type", "labels": ["person"], "gold": [["person", "Ann"]], "offsets": [[0, 3]], "lang": "en",
    }  # fmt: skip
    messages = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "Find the persons.\n\nText:\nAnn ran."},
        {"role": "assistant", "content": '[{"type": "person", "entity": "Ann"}]'},
    ]
    return [{"id": str(i), "messages": messages, "meta": meta} for i in range(n)]


def one_by_one(records: list[Record]) -> int:
    """The naive loop: one single-row DataFrame and one schema validation per record."""
    schema, kept = output_schema(8000, 4000), 0
    for rec in records:
        frame = pd.DataFrame(
            {
                "id": [rec["id"]],
                "roles": [",".join(m["role"] for m in rec["messages"])],
                "user_chars": [len(rec["messages"][1]["content"])],
                "answer_chars": [len(rec["messages"][-1]["content"])],
                "answer_problem": [answer_problem(rec) or ""],
            }
        )
        schema.validate(frame)
        kept += 1
    return kept


def main() -> None:
    """Time both on the same records and print the ratio."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    records = corpus(n)
    t0 = time.perf_counter()
    n_naive = one_by_one(records)
    t1 = time.perf_counter()
    step = Validate(8000, 4000)
    n_hum = sum(len(step(records[i : i + 256])[0]) for i in range(0, n, 256))
    t2 = time.perf_counter()
    print(f"records={n} kept naive={n_naive} hum={n_hum}")
    print(f"per-record pandera: {t1 - t0:.3f}s  hum batched: {t2 - t1:.3f}s  speed-up: {(t1 - t0) / (t2 - t1):.1f}x")


if __name__ == "__main__":
    main()
