"""Dedup speed and recall against all pairs, and scale on one process and on every core.

Run: python benchmarks/bench_dedup.py [n_records] [parts]   (default 20,000 and 1234; 5,000 takes well under a minute;
parts 3 alone at 200,000 records times the stage without the quadratic baselines of parts 1 and 2)

Planted near copies are edited anywhere, so the benchmark shows what blocking loses as well as what it saves:
every COPY_EVERY-th item is a copy of the one before it, with one kind of edit in turn. Recall is planted pairs found
over planted pairs, for hum and for the all-pairs baseline (its ceiling: it compares every pair, with the same test).

1. Near-copy inputs of `n_records` QA records (a passage of 60-140 words per five questions): hum's MinHash LSH (band
   keys of character 5-shingles) + rapidfuzz verification against rapidfuzz over all pairs of distinct inputs
   (`process.cdist`, one thread). Edits: `words` (one to three words replaced anywhere), `head` (a word among the
   first BLOCK_WORDS replaced), `typos` (a letter doubled in every 6th-16th word: a near copy by ratio whose
   word shingles would mostly change; most character shingles stay). Prints both times, the speed-up and recall per edit.
2. Near-duplicate requests without an input text (one per five records): the dedup step, which compares such records
   only within their LSH cluster (near-copy instructions, as for inputs), against all pairs under the same test
   (instruction+answer ratio >= threshold, same words up to spelling). Edits: a misspelt word among the first
   BLOCK_WORDS (`in_block`: blocking by opening words missed these) or after them (`after_block`). Prints both times,
   the speed-up and recall per edit.
3. The whole dedup stage (`run_dedup`: keys, fuzzy and write passes over a JSON-lines file) on the records of part 1,
   at n/2 and n records: records/s on one process (`Local(1)`) and with its per-record work on one worker process
   per core (`Local()`, `hum.cores.data_workers`), their ratio (issue 18) and that both wrote the same bytes; the
   one-process run against a baseline run in this process (one pass holding every distinct record's normalised
   texts, as an in-memory dedup does), in time and in peak traced memory per record (traced in one process: with
   workers, the parent holds the same state and each worker one batch at a time); the fuzzy pass's time alone on
   one process and on all (its comparisons inside each cluster run on the workers, `work.NearOf`); and the share of
   planted copy records removed. Load averages are printed beside it. The scale figure: `python benchmarks/bench_dedup.py
   1000000` (about 1 GB of temporary JSON lines).
4. One long pair: two 500,000-character near copies (20 words changed at scattered places) verified by naive
   `fuzz.ratio` (quadratic in length: ~2 s; a 2 MB pair took 25 s) and by hum's bounded check (`dedup.similar`:
   length bound, score_cutoff, prefix+suffix beyond MAX_CHARS). Prints both times and the cost ratio.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from hum.cores import data_workers
from hum.dedup import Dedup, Parts, engine, run_dedup
from hum.dedup.keys import normalised
from hum.dedup.lsh import InputIndex
from hum.dedup.minhash import MinHasher
from hum.dedup.similar import MAX_CHARS, Bounded, near, same_words
from hum.io import Record, dumps, read_jsonl
from hum.records import meta_record
from hum.runners.local import Local

PARAMS: dict[str, Any] = {"threshold": 95, "input_threshold": 90, "shingle": 5, "num_perm": 128, "bands": 32, "rows": 4}
QUESTIONS, COPY_EVERY = 5, 10
LONG_PAIR = 500_000  # characters per text of part 4
BLOCK_WORDS = 8  # the opening words requests without input were once blocked by: the edits aim inside and after them
VOCABULARY = ["".join(random.Random(i).choices("abcdefghijklmnopqrstuvwxyz", k=2 + i % 8)) for i in range(20000)]
Edit = Callable[[list[str], random.Random], None]


def misspelt(word: str, rng: random.Random) -> str:
    """The word with one letter doubled: a misspelling by `same_words` (ratio >= 80) however short the word."""
    k = rng.randrange(len(word))
    return word[: k + 1] + word[k:]


def replace_words(words: list[str], rng: random.Random) -> None:
    """One to three words replaced by others, anywhere."""
    for _ in range(rng.randint(1, 3)):
        words[rng.randrange(len(words))] = rng.choice(VOCABULARY)


def replace_head(words: list[str], rng: random.Random) -> None:
    """One word of the opening BLOCK_WORDS replaced: the first shingles."""
    words[rng.randrange(BLOCK_WORDS)] = rng.choice(VOCABULARY)


def typos(words: list[str], rng: random.Random) -> None:
    """A letter doubled in every 6th to 16th word: few characters, but most word shingles change."""
    every = rng.randint(6, 16)
    for i in range(rng.randrange(every), len(words), every):
        words[i] = misspelt(words[i], rng)


def typo_in_block(words: list[str], rng: random.Random) -> None:
    """One word misspelt among the first BLOCK_WORDS: blocking by opening words would put the copy in another block."""
    i = rng.randrange(BLOCK_WORDS)
    words[i] = misspelt(words[i], rng)


def typo_after_block(words: list[str], rng: random.Random) -> None:
    """One word misspelt after the first BLOCK_WORDS."""
    i = rng.randrange(BLOCK_WORDS, len(words))
    words[i] = misspelt(words[i], rng)


INPUT_EDITS: dict[str, Edit] = {"words": replace_words, "head": replace_head, "typos": typos}
REQUEST_EDITS: dict[str, Edit] = {"in_block": typo_in_block, "after_block": typo_after_block}


def planted(i: int) -> bool:
    """Whether item i is a planted near copy of item i - 1."""
    return i % COPY_EVERY == COPY_EVERY - 1


def edit_of(i: int, edits: dict[str, Edit]) -> str:
    """The kind of edit planted copy i carries: each kind in turn."""
    return list(edits)[i // COPY_EVERY % len(edits)]


def edited(text: str, i: int, edits: dict[str, Edit]) -> str:
    """Text with planted copy i's edit, seeded by i."""
    words = text.split()
    edits[edit_of(i, edits)](words, random.Random(-i))
    return " ".join(words)


def passage(p: int) -> str:
    """Passage p; a planted one is the previous passage with an edit of INPUT_EDITS."""
    if planted(p):
        return edited(passage(p - 1), p, INPUT_EDITS)
    rng = random.Random(p)
    return " ".join(rng.choices(VOCABULARY, k=rng.randint(60, 140))).capitalize() + "."


def records(n: int) -> Iterator[Record]:
    """QA records: five questions per passage (a copied passage is asked its original's questions)."""
    for i in range(n):
        p, q = divmod(i, QUESTIONS)
        asked = p - 1 if planted(p) else p
        rng = random.Random(asked * QUESTIONS + q)
        question = "What " + " ".join(rng.choices(VOCABULARY, k=6)) + "?"
        text, ask = passage(p), "Answer the question with a span of the passage.\n\nPassage:\n"
        user = f"{ask}{text}\n\nQuestion: {question}"
        meta = meta_record(
            task="mrc", subtask="extractive", dataset=f"d{planted(p):d}", seed_id=f"p{p}q{q}", lang="en",
            kind="basic", text_span=[len(ask), len(ask) + len(text)],
        )  # fmt: skip
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": rng.choice(passage(asked).split())}]
        yield {"id": f"r{i}", "messages": messages, "meta": meta}


def request_text(r: int) -> str:
    """Request r (12-20 words); a planted one is the previous request with an edit of REQUEST_EDITS."""
    if planted(r):
        return edited(request_text(r - 1), r, REQUEST_EDITS)
    rng = random.Random(10**9 + r)
    return " ".join(rng.choices(VOCABULARY, k=rng.randint(12, 20)))


def requests(n: int) -> list[Record]:
    """Free-form requests without an input text (no `text_span`); a planted copy keeps its original's answer."""
    out = []
    for r in range(n):
        original = r - 1 if planted(r) else r
        answer = " ".join(random.Random(-(10**9) - original).choices(VOCABULARY, k=4))
        meta = meta_record(task="generalist", subtask="free_form", dataset="g", seed_id=f"g{r}", lang="en", kind="basic")
        messages = [{"role": "user", "content": request_text(r).capitalize() + "?"}, {"role": "assistant", "content": answer}]
        out.append({"id": f"g{r}", "messages": messages, "meta": meta})
    return out


def all_pairs(texts: list[str], threshold: float) -> set[tuple[int, int]]:
    """Every text against every earlier one with rapidfuzz (C++ loop, one thread): the quadratic baseline."""
    found, step = set(), 500
    for start in range(0, len(texts), step):
        scores = process.cdist(texts[start : start + step], texts[: start + step], scorer=fuzz.ratio, score_cutoff=threshold,
                               dtype=np.uint8, workers=1)  # fmt: skip
        for i, j in zip(*np.nonzero(scores), strict=True):
            if j < start + i:
                found.add((int(j), start + int(i)))
    return found


def recall_lines(
    pairs: list[tuple[int, int]], edits: dict[str, Edit], hum: set[tuple[int, int]], base: set[tuple[int, int]]
) -> None:
    """Recall of the planted pairs (original, copy) per edit and overall, for hum and for the all-pairs baseline."""
    print(f"    {'edit':<12} {'planted':>7} {'hum recall':>10} {'all-pairs recall':>16}")
    for kind in [*edits, "all"]:
        chosen = [pair for pair in pairs if kind in ("all", edit_of(pair[1], edits))]
        hum_recall, base_recall = (sum(pair in found for pair in chosen) / len(chosen) for found in (hum, base))
        print(f"    {kind:<12} {len(chosen):>7} {hum_recall:>10.3f} {base_recall:>16.3f}")


def speed_line(baseline: float, hum: float, what: str) -> None:
    """Both times and the speed-up of hum over the all-pairs baseline run just before it."""
    print(f"    all-pairs rapidfuzz: {baseline:.2f}s  {what}: {hum:.3f}s  speed-up: {baseline / hum:.0f}x")


def near_copies(n: int) -> None:
    """Part 1: LSH against all pairs over the distinct inputs of n records."""
    texts = [normalised(passage(p)) for p in range((n + QUESTIONS - 1) // QUESTIONS)]
    pairs = [(p - 1, p) for p in range(len(texts)) if planted(p)]
    t0 = time.perf_counter()
    hasher = MinHasher(PARAMS["num_perm"], PARAMS["shingle"], PARAMS["bands"], PARAMS["rows"])
    with tempfile.TemporaryDirectory() as tmp:
        index = InputIndex(hasher, PARAMS["input_threshold"], Path(tmp))
        for text in texts:
            index.add(text)
        root = index.clusters(texts.__getitem__)
        index.close()
    t1 = time.perf_counter()
    baseline = all_pairs(texts, PARAMS["input_threshold"])
    t2 = time.perf_counter()
    clustered = {(a, b) for a, b in pairs if root[a] == root[b]}
    agree = sum(root[a] == root[b] for a, b in baseline) / max(len(baseline), 1)
    print(f"[1] near-copy inputs: records={n} distinct inputs={len(texts)} planted={len(pairs)} all-pairs found={len(baseline)}")
    speed_line(t2 - t1, t1 - t0, "MinHash LSH + verify")
    recall_lines(pairs, INPUT_EDITS, clustered, baseline)
    print(f"    share of all-pairs matches hum clusters together: {agree:.3f}")


def near_requests(n: int) -> None:
    """Part 2: the dedup step over requests without input against all pairs, under the same near-duplicate test."""
    batch = requests(n)
    pairs = [(r - 1, r) for r in range(n) if planted(r)]
    t0 = time.perf_counter()
    step = Dedup(**PARAMS)
    step.process(batch)
    t1 = time.perf_counter()
    parts = [Parts.of(record) for record in batch]
    scored = all_pairs([part.pair for part in parts], PARAMS["threshold"])
    baseline = {(a, b) for a, b in scored if same_words(parts[a].instruction, parts[b].instruction)}
    t2 = time.perf_counter()
    position = {record["id"]: i for i, record in enumerate(batch)}
    removed = {(position[r["duplicate_of"]], position[r["record"]["id"]]) for r in step.rejected}
    print(f"[2] near-duplicate requests without input: records={n} planted={len(pairs)} all-pairs found={len(baseline)}")
    speed_line(t2 - t1, t1 - t0, "dedup step (within clusters)")
    recall_lines(pairs, REQUEST_EDITS, removed, baseline)


def in_memory(path: Path) -> int:
    """The memory baseline: one pass holding every distinct record's normalised texts, as an in-memory dedup does."""
    held: dict[tuple[str, str, str], str] = {}
    for record in read_jsonl(path):
        parts = Parts.of(record)
        held.setdefault((parts.instruction, parts.input, parts.answer), parts.pair)
    return len(held)


NEAR_SECONDS: list[float] = []  # the fuzzy pass's time in each stage run, appended by `timed_near`


def timed_near(run: Callable[..., None]) -> Callable[..., None]:
    """The fuzzy pass (`engine.near_pass`), timing each call into NEAR_SECONDS: its share of the stage, on one or all cores."""

    def timed(*args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        run(*args, **kwargs)
        NEAR_SECONDS.append(time.perf_counter() - start)

    return timed


def traced(run: Callable[[], object]) -> int:
    """Peak bytes allocated by Python and numpy while `run` runs (tracemalloc), beyond what was held before."""
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def stage(path: Path, folder: Path, workers: int | None) -> Dedup:
    """The dedup stage over one JSON-lines file into `folder`, its per-record work on `workers` processes."""
    params = {**PARAMS, "conflicts": "keep_first"}
    return run_dedup([path], folder, params, model=None, metrics=folder.with_suffix(".json"), runner=Local(workers))


def written(folder: Path) -> list[bytes]:
    """The files a dedup stage published, and its metrics."""
    return [p.read_bytes() for p in sorted(folder.iterdir())] + [folder.with_suffix(".json").read_bytes()]


def scale(n: int) -> None:
    """Part 3: the dedup stage over n/2 and n records of JSON lines, on one process and on all, and the in-memory baseline.

    Time (without tracing) for all three, and peak traced memory per record for the one-process stage and the
    baseline: the stage's bytes per record stay flat or fall with n (its per-record state is a few int64; texts are
    spilled), the baseline's do not. Also the planted copies removed.
    """
    for size in (n // 2, n):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "instructions.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                fh.writelines(dumps(r) + "\n" for r in records(size))
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            step = stage(path, Path(tmp) / "one", 1)
            t1 = time.perf_counter()
            stage(path, Path(tmp) / "all", None)
            t2 = time.perf_counter()
            near_one, near_all = NEAR_SECONDS[-2:]
            in_memory(path)
            t3 = time.perf_counter()
            same = written(Path(tmp) / "one") == written(Path(tmp) / "all")
            removed = {r["record"]["id"] for r in read_jsonl(Path(tmp) / "one" / "removed.jsonl")}
            peak = traced(lambda path=path, tmp=tmp: stage(path, Path(tmp) / "traced", 1))
            base_peak = traced(lambda path=path: in_memory(path))
            mib = path.stat().st_size / 2**20
        copies = [f"r{i}" for i in range(size) if planted(i // QUESTIONS)]
        found = sum(rid in removed for rid in copies)
        print(f"[3] records={size} ({mib:.0f} MiB of JSON lines) kept={step.stats['out']}: one process {t1 - t0:.1f}s "
              f"({size / (t1 - t0):,.0f} rec/s), {data_workers()} processes {t2 - t1:.1f}s ({size / (t2 - t1):,.0f} rec/s): "
              f"speed-up {(t1 - t0) / (t2 - t1):.2f}x, same bytes: {same}")  # fmt: skip
        print(f"    of which the fuzzy pass: one process {near_one:.1f}s, {data_workers()} processes {near_all:.1f}s: "
              f"speed-up {near_one / near_all:.2f}x")  # fmt: skip
        print(f"    load average (1 min) {load:.2f} before, {os.getloadavg()[0]:.2f} after")
        print(f"    in-memory baseline pass {t3 - t2:.1f}s: time ratio (one process) {(t1 - t0) / (t3 - t2):.2f}")
        print(f"    peak traced memory: stage {peak / 2**20:.0f} MiB ({peak / size:,.0f} B/record), baseline "
              f"{base_peak / 2**20:.0f} MiB ({base_peak / size:,.0f} B/record): memory ratio {peak / base_peak:.2f}")  # fmt: skip
        print(f"    planted copy records removed: {found} of {len(copies)} (recall {found / max(len(copies), 1):.3f})")


def long_pair(chars: int = LONG_PAIR) -> None:
    """Part 4: one pair of long near copies, naive rapidfuzz against the bounded verification of the dedup stage."""
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
    print(f"[4] long pair ({chars:,} characters each, near: {bool(naive)} / {bounded}): naive fuzz.ratio {t1 - t0:.2f}s, "
          f"bounded (at most {MAX_CHARS:,} characters each) {t2 - t1:.4f}s: cost ratio {(t1 - t0) / (t2 - t1):.0f}x")  # fmt: skip


def main() -> None:
    """The parts given in argv (default all four), at the size given there."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    parts = sys.argv[2] if len(sys.argv) > 2 else "1234"
    engine.near_pass = timed_near(engine.near_pass)  # type: ignore[method-assign]
    runs = {"1": near_copies, "2": lambda n: near_requests(n // QUESTIONS), "3": scale, "4": lambda _: long_pair()}
    for part in sorted(set(parts)):
        runs[part](n)


if __name__ == "__main__":
    main()
