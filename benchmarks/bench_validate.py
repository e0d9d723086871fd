"""Validation speed: hum's batched pandera schema against validating one record at a time, in one process.

Run: python benchmarks/bench_validate.py [n_records]. Prints wall times and the speed-up ratio.
"""

from __future__ import annotations

import sys
import time

from hum.io import Record
from hum.records import meta_record
from hum.schemas import RecordCheck, output_schema, record_frame, texts
from hum.tokens import ApproximateTokenizer
from hum.validate import Validate, checked_answer

LIMITS = (8000, 4000, 2048, 1024)  # characters and tokens of user message and answer, as in conf/config.yaml


def corpus(n: int) -> list[Record]:
    """NER records with a JSON answer that parses back to its gold rows."""
    user = "Find the persons.\n\nText:\nAnn ran."
    meta = meta_record(
        task="ner", subtask="extract", dataset="toy", seed_id="s", lang="en", kind="basic", format="json",
        columns=["type", "entity"], label_column="type", labels=["person"], gold=[["person", "Ann"]], offsets=[[0, 3]],
        text_span=[len(user) - 8, len(user)],
    )  # fmt: skip
    messages = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": user},
        {"role": "assistant", "content": '[{"type": "person", "entity": "Ann"}]'},
    ]
    return [{"id": str(i), "messages": messages, "meta": meta} for i in range(n)]


def one_by_one(records: list[Record]) -> int:
    """The naive loop: one single-row DataFrame and one schema validation per record (same columns, same checks)."""
    schema, tokenizer, seen, kept = output_schema(*LIMITS), ApproximateTokenizer(), set[str](), 0
    for rec in records:
        frame = record_frame([rec], seen)
        frame["user_tokens"], frame["answer_tokens"] = tokenizer.count(list(texts(rec)))
        frame["answer_problem"] = [checked_answer(rec)]
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
    step = Validate(*LIMITS, tokenizer=ApproximateTokenizer())
    n_hum = sum(len(step(records[i : i + 256])[0]) for i in range(0, n, 256))
    t2 = time.perf_counter()
    check = RecordCheck()  # what run_stage adds to every step stage: the structural schema alone, batched
    problems = sum(len(check(records[i : i + 256])) for i in range(0, n, 256))
    t3 = time.perf_counter()
    print(f"records={n} kept naive={n_naive} hum={n_hum} structural problems={problems}")
    print(f"per-record pandera: {t1 - t0:.3f}s  hum batched: {t2 - t1:.3f}s  speed-up: {(t1 - t0) / (t2 - t1):.1f}x")
    print(f"run_stage record schema: {t3 - t2:.3f}s ({(t3 - t2) / n * 1e6:.0f} us per record)")


if __name__ == "__main__":
    main()
