"""Validation speed: the validate stage's own path against a plain-Python loop with the same checks, in one process.

Run: python benchmarks/bench_validate.py [n_records] [records.jsonl]

Records: those of `records.jsonl` (default: the pipeline's `data/decontaminated/instructions.jsonl`, what the stage
reads), repeated under fresh ids up to `n_records` (default 20,000); synthetic NER records when there is no such file.
Both sides read the same JSON-lines file and write what they keep and what they reject, with the same tokenizer (the
approximation; `bench_tokens.py` measures counting with the GGUF vocabulary, alone and in this stage):

- hum: `run_stage` with the `Validate` step, as `stages/validate.py` runs it (batches of 2,048, pandera over a
  frame per batch; its schema holds the record schema, so `run_stage` adds no second guard), manifest and metrics:
  once in one process, once on a worker process per core (`hum.cores.data_workers`, or `HUM_WORKERS`);
- baseline: one record at a time in one process, every check of `schemas.output_schema` written as plain Python.

One record in BROKEN_EVERY is broken (empty answer, repeated id, unknown meta field, span beyond the text), so both
sides reject as well as keep. Prints records/s of each (after a warm-up run: pandera's first frame costs about half a
second), the ratios to the loop, the kept counts, which must agree, and whether the workers wrote the same bytes as
one process; then the cost per record of the record guard that `run_stage` adds to the other step stages.
"""

from __future__ import annotations

import contextlib
import filecmp
import itertools
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from hum.cores import data_workers
from hum.io import Record, atomic_open, dumps, read_jsonl
from hum.records import META, meta_record
from hum.schemas import META_KINDS, ROLE_SEQUENCES, RecordCheck, kind_of, texts
from hum.step import JsonLines, Step, batched, run_stage
from hum.tokens import ApproximateTokenizer, Tokenizer
from hum.validate import Validate, checked_answer

MAX_USER_CHARS, MAX_ANSWER_CHARS, MAX_USER_TOKENS, MAX_ANSWER_TOKENS = 8000, 4000, 2048, 1024  # as in conf/config.yaml
BROKEN_EVERY = 50  # one record in 50 broken, so both sides reject too, under the stage's 5% reject limit
DEFECTS: tuple[Callable[[Record], Record], ...] = (
    lambda r: {**r, "messages": [*r["messages"][:-1], {"role": "assistant", "content": " "}]},
    lambda r: {**r, "id": "repeated"},
    lambda r: {**r, "meta": {**r["meta"], "unknown": 1}},
    lambda r: {**r, "meta": {**r["meta"], "text_span": [0, 10**6]}},
)
SOURCE = Path(__file__).resolve().parents[1] / "data" / "decontaminated" / "instructions.jsonl"


def synthetic(i: int) -> Record:
    """An NER record with a JSON answer that parses back to its gold rows."""
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
    return {"id": str(i), "messages": messages, "meta": meta}


def corpus(n: int, source: Path) -> list[Record]:
    """n records of `source` in turn, each under a fresh id (synthetic ones when there is no `source`), some broken."""
    if not source.is_file():
        good = [synthetic(i) for i in range(n)]
    else:
        good = [{**r, "id": f"{r['id']}#{i}"} for i, r in zip(range(n), itertools.cycle(list(read_jsonl(source))), strict=False)]
    return [
        DEFECTS[i // BROKEN_EVERY % len(DEFECTS)](r) if i % BROKEN_EVERY == BROKEN_EVERY - 1 else r for i, r in enumerate(good)
    ]


def problems(record: Record, seen: set[str], tokenizer: Tokenizer) -> list[str]:
    """The checks of `output_schema` on one record, in plain Python; `seen` learns its id."""
    rid, messages, meta = record.get("id"), record.get("messages"), record.get("meta")
    messages = messages if isinstance(messages, list) else []
    meta = meta if isinstance(meta, dict) else {}
    user, answer = texts(record)
    user_tokens, answer_tokens = tokenizer.count([user, answer])
    start, end = meta["text_span"] if kind_of(meta.get("text_span")) == "span" else (0, 0)
    key = rid if isinstance(rid, str) else repr(rid)
    checks = {
        "id missing, empty or not text": isinstance(rid, str) and rid != "",
        "duplicate id": key not in seen,
        "messages are not (system,) user, assistant": ",".join(
            str(m.get("role")) if isinstance(m, dict) else "?" for m in messages
        ) in ROLE_SEQUENCES,
        "a message is not an object with text content": all(isinstance(m, dict) and isinstance(m.get("content"), str)
                                                             for m in messages),
        "instruction empty or too long": 1 <= len(user.strip()) <= MAX_USER_CHARS,
        "answer empty or too long": 1 <= len(answer.strip()) <= MAX_ANSWER_CHARS,
        "instruction over the token limit": user_tokens <= MAX_USER_TOKENS,
        "answer over the token limit": answer_tokens <= MAX_ANSWER_TOKENS,
        "fields not in hum.records.META": set(meta) <= set(META),
        "meta fields missing or of the wrong kind": all(f in meta and kind_of(meta[f]) in k for f, k in META_KINDS.items()),
        "text span outside the user message": 0 <= start <= end <= len(user),
        "answer does not match its gold annotation": checked_answer(record) == "",
    }  # fmt: skip
    seen.add(key)
    return [problem for problem, ok in checks.items() if not ok]


def naive_loop(records: Iterable[Record], out: Path, tokenizer: Tokenizer) -> int:
    """The baseline: each record checked on its own, kept or quarantined with its problems; returns how many were kept."""
    seen: set[str] = set()
    kept = 0
    out.mkdir()
    with atomic_open(out / "instructions.jsonl") as good, atomic_open(out / "quarantine.jsonl") as bad:
        for record in records:
            if found := problems(record, seen, tokenizer):
                bad.write(dumps({"reason": "; ".join(found), "record": record}) + "\n")
            else:
                good.write(dumps(record) + "\n")
                kept += 1
    return kept


def stage(path: Path, out: Path, workers: int) -> int:
    """The validate stage's path over a JSON-lines file (model tokenizer aside); returns how many records it kept."""
    step = Validate(MAX_USER_CHARS, MAX_ANSWER_CHARS, MAX_USER_TOKENS, MAX_ANSWER_TOKENS, None, tokenizer=ApproximateTokenizer())
    run_stage(step, JsonLines(path), out, "quarantine.jsonl", {"validate": {}}, model=None, workers=workers)
    return step.stats["out"]


def timed(n: int, what: str, run: Callable[[], int]) -> tuple[float, int]:
    """Records/s of one run, printed with how many records it kept."""
    t0 = time.perf_counter()
    kept = run()
    rate = n / (time.perf_counter() - t0)
    print(f"{what:<52} {rate:>9,.0f} records/s  kept {kept}")
    return rate, kept


@contextlib.contextmanager
def workspace(n: int, source: Path) -> Iterator[tuple[list[Record], Path]]:
    """`n` records and their file, in a temporary working folder (run_stage writes metrics/ there), pandera warmed up."""
    records = corpus(n, source)
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        path = Path("instructions.jsonl")
        path.write_text("".join(dumps(r) + "\n" for r in records), encoding="utf-8")
        print(f"records={n} from {source if source.is_file() else 'synthetic NER records'}; {data_workers()} cores")
        stage(path, Path("warm-up"), 1)  # pandera registers its backends on first use: a cost per run, not per record
        yield records, path


def main() -> None:
    """Both paths over the same file, then the record guard alone."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    source = Path(sys.argv[2]) if len(sys.argv) > 2 else SOURCE
    with workspace(n, source) as (records, path):
        loop = partial(naive_loop, read_jsonl(path), Path("naive"), ApproximateTokenizer())
        naive, naive_kept = timed(n, "plain-Python loop, one record at a time", loop)
        hum, hum_kept = timed(n, "validate stage, one process", partial(stage, path, Path("one"), 1))
        workers = data_workers()
        many, many_kept = timed(n, f"validate stage, {workers} worker processes", partial(stage, path, Path("many"), workers))
        files = ("instructions.jsonl", "quarantine.jsonl")
        same = all(filecmp.cmp(Path("one", f), Path("many", f), shallow=False) for f in files)
    agree = "agree" if hum_kept == naive_kept == many_kept else "DIFFER"
    print(f"ratio stage / loop: {hum / naive:.2f}x in one process, {many / naive:.2f}x on {workers} workers; kept counts {agree}")
    print(f"files of {workers} workers and of one process: {'identical' if same else 'DIFFERENT'}")
    check = RecordCheck()
    t0 = time.perf_counter()
    for batch in batched(records, Step.batch_size):
        check(batch)
    print(f"record guard that run_stage adds to other step stages: {(time.perf_counter() - t0) / n * 1e6:.0f} us per record")


if __name__ == "__main__":
    main()
