"""Dedup speed, recall and scale, in one process.

Run: python benchmarks/bench_dedup.py [n_records]

1. Near-copy inputs among 20,000 synthetic QA records (4,000 passages of 60-140 words, five questions each; every
   tenth passage is an earlier one shipped again by "another dataset" with one to three words changed): hum's
   MinHash LSH + rapidfuzz verification against rapidfuzz over all pairs of distinct inputs (`process.cdist`, one
   thread, each input against every earlier one). Prints both times, the speed-up (target >= 50x) and the recall
   of the injected near copies (target >= 0.95).
2. The whole dedup stage (`run_dedup`: keys, fuzzy and write passes over a JSON-lines file) on `n_records` such
   records (default 20,000, a few seconds): prints records/s and the peak RSS. The scale figure:
   `python benchmarks/bench_dedup.py 1000000` (about 1 GB of temporary JSON lines).
3. One long pair: two 500,000-character near copies (20 words changed at scattered places) verified by naive
   `fuzz.ratio` (quadratic in length: ~2 s; a 2 MB pair took 25 s) and by hum's bounded check (`dedup.similar`:
   length bound, score_cutoff, prefix+suffix beyond MAX_CHARS). Prints both times and the cost ratio.
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from hum.dedup import run_dedup
from hum.dedup.keys import normalised
from hum.dedup.lsh import InputIndex
from hum.dedup.minhash import MinHasher
from hum.dedup.similar import MAX_CHARS, Bounded, near
from hum.io import Record, dumps
from hum.records import meta_record

PARAMS = {"threshold": 95, "input_threshold": 90, "shingle": 5, "num_perm": 128, "bands": 32, "rows": 4}
QUESTIONS, COPY_EVERY = 5, 10
LONG_PAIR = 500_000  # characters per text of part 3
VOCABULARY = ["".join(random.Random(i).choices("abcdefghijklmnopqrstuvwxyz", k=2 + i % 8)) for i in range(20000)]


def passage(p: int) -> str:
    """Passage p; every COPY_EVERY-th one is the previous passage with one to three words changed."""
    if p % COPY_EVERY == COPY_EVERY - 1:
        rng, words = random.Random(-p), passage(p - 1).split()
        for _ in range(rng.randint(1, 3)):
            words[rng.randrange(len(words))] = rng.choice(VOCABULARY)
        return " ".join(words)
    rng = random.Random(p)
    return " ".join(rng.choices(VOCABULARY, k=rng.randint(60, 140))).capitalize() + "."


def records(n: int) -> Iterator[Record]:
    """QA records: five questions per passage (a copied passage is asked its original's questions)."""
    for i in range(n):
        p, q = divmod(i, QUESTIONS)
        asked = p - 1 if p % COPY_EVERY == COPY_EVERY - 1 else p
        rng = random.Random(asked * QUESTIONS + q)
        question = "What " + " ".join(rng.choices(VOCABULARY, k=6)) + "?"
        text, ask = passage(p), "Answer the question with a span of the passage.\n\nPassage:\n"
        user = f"{ask}{text}\n\nQuestion: {question}"
        meta = meta_record(
            task="mrc", subtask="extractive", dataset=f"d{p % COPY_EVERY == COPY_EVERY - 1:d}", seed_id=f"p{p}q{q}", lang="en",
            kind="basic", text_span=[len(ask), len(ask) + len(text)],
        )  # fmt: skip
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": rng.choice(passage(asked).split())}]
        yield {"id": f"r{i}", "messages": messages, "meta": meta}


def all_pairs(texts: list[str], threshold: float) -> set[tuple[int, int]]:
    """Every input against every earlier one with rapidfuzz (C++ loop, one thread): the quadratic baseline."""
    found, step = set(), 500
    for start in range(0, len(texts), step):
        scores = process.cdist(texts[start : start + step], texts[: start + step], scorer=fuzz.ratio, score_cutoff=threshold,
                               dtype=np.uint8, workers=1)  # fmt: skip
        for i, j in zip(*np.nonzero(scores), strict=True):
            if j < start + i:
                found.add((int(j), start + int(i)))
    return found


def near_copies(n: int = 20000) -> None:
    """Part 1: LSH against all pairs over the distinct inputs of n records."""
    texts = [normalised(passage(p)) for p in range((n + QUESTIONS - 1) // QUESTIONS)]
    injected = [(p - 1, p) for p in range(len(texts)) if p % COPY_EVERY == COPY_EVERY - 1]
    t0 = time.perf_counter()
    hasher = MinHasher(PARAMS["num_perm"], PARAMS["shingle"], PARAMS["bands"], PARAMS["rows"])
    index = InputIndex(hasher, PARAMS["input_threshold"])
    for text in texts:
        index.add(text)
    root = index.clusters(texts.__getitem__)
    t1 = time.perf_counter()
    baseline = all_pairs(texts, PARAMS["input_threshold"])
    t2 = time.perf_counter()
    recall = sum(root[a] == root[b] for a, b in injected) / len(injected)
    agree = sum(root[a] == root[b] for a, b in baseline) / max(len(baseline), 1)
    print(f"[1] records={n} distinct inputs={len(texts)} injected near copies={len(injected)} all-pairs found={len(baseline)}")
    ratio = (t2 - t1) / (t1 - t0)
    print(f"    all-pairs rapidfuzz: {t2 - t1:.2f}s  MinHash LSH + verify: {t1 - t0:.3f}s  speed-up: {ratio:.0f}x")
    print(f"    recall of injected near copies: {recall:.3f}  (of all-pairs matches: {agree:.3f})")


def rss_mb() -> float:
    """Current resident memory (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def scale(n: int) -> None:
    """Part 2: the dedup stage over n records written to a JSON-lines file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "instructions.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            fh.writelines(dumps(r) + "\n" for r in records(n))
        before = rss_mb()
        t0 = time.perf_counter()
        step = run_dedup([path], Path(tmp) / "deduped", {**PARAMS, "conflicts": "keep_first"}, model=None,
                         metrics=Path(tmp) / "metrics.json")  # fmt: skip
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = path.stat().st_size / 2**20
    print(f"[2] records={n} ({size:.0f} MiB of JSON lines) kept={step.stats['out']} in {seconds:.1f}s: {n / seconds:,.0f} rec/s")
    print(f"    RSS before the stage {before:.0f} MiB, peak RSS {peak:.0f} MiB")


def long_pair(chars: int = LONG_PAIR) -> None:
    """Part 3: one pair of long near copies, naive rapidfuzz against the bounded verification of the dedup stage."""
    rng = random.Random(7)
    words = rng.choices(VOCABULARY, k=chars // 5)
    a = " ".join(words)[:chars]
    for _ in range(20):
        words[rng.randrange(len(words))] = rng.choice(VOCABULARY)
    b = " ".join(words)[:chars]
    threshold = PARAMS["input_threshold"]
    t0 = time.perf_counter()
    naive = fuzz.ratio(a, b, score_cutoff=threshold)
    t1 = time.perf_counter()
    bounded = near(Bounded.of(a), Bounded.of(b), threshold)
    t2 = time.perf_counter()
    print(f"[3] long pair ({chars:,} characters each, near: {bool(naive)} / {bounded}): naive fuzz.ratio {t1 - t0:.2f}s, "
          f"bounded (at most {MAX_CHARS:,} characters each) {t2 - t1:.4f}s: cost ratio {(t1 - t0) / (t2 - t1):.0f}x")  # fmt: skip


def main() -> None:
    """All three parts; the scale run's size from argv."""
    near_copies()
    scale(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
    long_pair()


if __name__ == "__main__":
    main()
