"""Dedup speed: hum's blocked near-duplicate search against a naive all-pairs loop, in one process.

Run: python benchmarks/bench_dedup.py [n_records]. Prints wall times and the speed-up ratio.
"""

from __future__ import annotations

import random
import sys
import time

from rapidfuzz import fuzz

from hum.dedup import Dedup, pair_text
from hum.io import Record


def corpus(n: int, seed: int = 13) -> list[Record]:
    """Synthetic instruction records: n/4 seed texts, four variants each, some exact repeats."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(5000)]
    records = []
    for i in range(n):
        text = " ".join(random.Random(i // 4).choices(words, k=30))
        ask = rng.choice(["Find the entities.", "List all entities.", "Extract entities of these types."])
        user = f"{ask}\n\nText:\n{text}"
        meta = {"task": "ner", "lang": "en"}
        records.append({"id": str(i), "messages": [{}, {"content": user}, {"content": "[]"}], "meta": meta})
    return records


def naive(records: list[Record], threshold: float) -> int:
    """Every record against every kept one: quadratic."""
    kept: list[str] = []
    for rec in records:
        text = pair_text(rec)
        if not any(fuzz.ratio(text, k, score_cutoff=threshold) for k in kept):
            kept.append(text)
    return len(kept)


def main() -> None:
    """Time both on the same records and print the ratio."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    records = corpus(n)
    t0 = time.perf_counter()
    n_naive = naive(records, 95)
    t1 = time.perf_counter()
    step = Dedup(threshold=95, block_words=8)
    n_hum = len(step(records)[0])
    t2 = time.perf_counter()
    print(f"records={n} kept naive={n_naive} hum={n_hum}")
    print(f"naive all-pairs: {t1 - t0:.3f}s  hum blocked: {t2 - t1:.3f}s  speed-up: {(t1 - t0) / (t2 - t1):.1f}x")


if __name__ == "__main__":
    main()
