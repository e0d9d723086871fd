"""Token counting with the GGUF vocabulary: hum's counter against plain `Llama.tokenize`, alone and in the validate stage.

Run: python benchmarks/bench_tokens.py [n_records] [records.jsonl] [--stage]

Texts: the user messages and answers of `records.jsonl` (default: `data/decontaminated/instructions.jsonl`, what the
validate stage reads), its records taken in turn up to `n_records` (default 20,000) under fresh ids, as
`bench_validate` builds its corpus. Both counters load the embedded SmolLM2 vocabulary (`vocab_only`) in this process:

- plain: `len(Llama.tokenize(text))` per text, as `GgufTokenizer` counted before (llama-cpp-python sizes its token
  array by the model's training context, which a vocabulary-only load reads as 0, so each call tokenizes twice);
- hum: `hum.tokens.GgufTokenizer.count`, fresh (nothing remembered yet), over the same texts.

Prints each one's microseconds per text and the ratio, whether every count agrees, the share of texts that go to
llama.cpp whole (a character outside `hum.tokens.SPLITTABLE`), and how many distinct pre-tokens llama.cpp counted for
hum. With `--stage`, then runs the validate stage (`run_stage` with `Validate`, as `stages/validate.py` builds it)
over the same records with each counter, on one process and on a worker process per core: records/s, the ratio, and
whether outputs and metrics are byte-identical.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from llama_cpp import Llama

from hum.cores import data_workers
from hum.io import Record, dumps, read_jsonl
from hum.llm.embedded import embedded_model_path
from hum.schemas import texts
from hum.step import JsonLines, run_stage
from hum.tokens import SPLITTABLE, GgufTokenizer, Tokenizer
from hum.validate import Validate

SOURCE = Path(__file__).resolve().parents[1] / "data" / "decontaminated" / "instructions.jsonl"
LIMITS = {"max_user_chars": 8000, "max_answer_chars": 4000, "max_user_tokens": 2048, "max_answer_tokens": 1024}  # conf
OUTPUTS = ("validated/instructions.jsonl", "validated/quarantine.jsonl", "validated/manifest.json", "metrics/validate.json")


class PlainTokenizer:
    """The baseline: the GGUF vocabulary's `Llama.tokenize`, one call per text."""

    kind = "gguf"

    def __init__(self, reference: GgufTokenizer) -> None:
        self.fingerprint = reference.fingerprint
        self.llama = Llama(model_path=str(reference.path), vocab_only=True, verbose=False)

    def count(self, texts: list[str]) -> list[int]:
        return [len(self.llama.tokenize(text.encode(), add_bos=False, special=False)) for text in texts]


def corpus(n: int, source: Path) -> list[Record]:
    """n records of `source` in turn, each under a fresh id."""
    return [{**r, "id": f"{r['id']}#{i}"} for i, r in zip(range(n), itertools.cycle(list(read_jsonl(source))), strict=False)]


def timed(what: str, run: Callable[[], list[int]], n: int) -> tuple[float, list[int]]:
    """Microseconds per text of one run, printed."""
    t0 = time.perf_counter()
    counts = run()
    us = (time.perf_counter() - t0) / n * 1e6
    print(f"{what:<44} {us:>8.1f} us per text")
    return us, counts


def counters(records: list[Record], plain: Tokenizer, hum: GgufTokenizer) -> None:
    """Both counters over every user message and answer, in this process."""
    all_texts = [text for record in records for text in texts(record)]
    whole = sum(not SPLITTABLE.fullmatch(text) for text in all_texts)
    print(f"{len(all_texts)} texts, {whole / len(all_texts):.1%} of them counted by llama.cpp whole")
    slow, expected = timed("plain Llama.tokenize", lambda: plain.count(all_texts), len(all_texts))
    fast, counts = timed("hum GgufTokenizer.count (fresh)", lambda: hum.count(all_texts), len(all_texts))
    remembered = len(hum._pieces)  # noqa: SLF001 - the benchmark reports what the counter learnt
    print(f"ratio hum / plain: {slow / fast:.1f}x; counts {'agree' if counts == expected else 'DIFFER'}")
    print(f"distinct pre-tokens hum had llama.cpp count (and now remembers): {remembered}")


def stage(path: Path, folder: Path, tokenizer: Tokenizer, workers: int) -> dict[str, bytes]:
    """The validate stage over `path` in `folder`; its outputs and metrics."""
    folder.mkdir()
    with contextlib.chdir(folder):
        step = Validate(**LIMITS, tokenizer=tokenizer)
        run_stage(step, JsonLines(path), Path("validated"), "quarantine.jsonl", {"validate": LIMITS}, model=None, workers=workers)
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def stages(records: list[Record], plain: Tokenizer, hum: GgufTokenizer) -> None:
    """The validate stage with each counter, on one process and on a worker per core; records/s and ratios."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "instructions.jsonl")
        path.write_text("".join(dumps(r) + "\n" for r in records), encoding="utf-8")
        stage(path, Path(tmp, "warm-up"), hum, 1)  # pandera's first frame; hum's counter learns nothing it keeps
        for workers in sorted({1, data_workers()}):
            rates, outputs = [], []
            for name, tokenizer in (("plain", plain), ("hum", GgufTokenizer(hum.path))):
                t0 = time.perf_counter()
                outputs.append(stage(path, Path(tmp, f"{name}-{workers}"), tokenizer, workers))
                rates.append(len(records) / (time.perf_counter() - t0))
                print(f"validate stage, {workers} process(es), {name:<5} counter {rates[-1]:>9,.0f} records/s")
            same = "identical" if outputs[0] == outputs[1] else "DIFFERENT"
            metrics = json.loads(outputs[1]["metrics/validate.json"])["tokens"]
            print(f"ratio hum / plain on {workers}: {rates[1] / rates[0]:.2f}x; outputs and metrics {same}; tokens {metrics}")


def main() -> None:
    """Counters alone, then (with --stage) the stage."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 20000
    records = corpus(n, Path(args[1]) if len(args) > 1 else SOURCE)
    hum = GgufTokenizer(embedded_model_path())
    plain = PlainTokenizer(hum)
    print(f"records={n}; {data_workers()} cores")
    counters(records, plain, hum)
    if "--stage" in sys.argv:
        stages(records, plain, hum)


if __name__ == "__main__":
    main()
