from __future__ import annotations

import random

import numpy as np

from hum.dedup.keys import normalised
from hum.dedup.lsh import InputIndex, _union
from hum.dedup.minhash import MinHasher

WORDS = ["".join(random.Random(i).choices("abcdefghijklmnop", k=6)) for i in range(400)]


def text(seed, n=80):
    return " ".join(random.Random(seed).choices(WORDS, k=n))


def jaccard(h, a, b):
    x, y = set(h.shingles(a).tolist()), set(h.shingles(b).tolist())
    return len(x & y) / len(x | y)


def test_signatures_estimate_jaccard_and_do_not_depend_on_the_process():
    h = MinHasher(128, 5, 32, 4)
    a = text(1)
    words = a.split()
    words[40] = "changed"
    b = " ".join(words)
    assert np.array_equal(h.signature(a), MinHasher(128, 5, 32, 4).signature(a))
    agree = float((h.signature(a) == h.signature(b)).mean())
    assert abs(agree - jaccard(h, a, b)) < 0.15
    assert (h.signature(a) == h.signature(text(2))).mean() < 0.1
    assert h.keys(a).shape == (32,)
    assert h.keys(a).dtype == np.uint32


def test_texts_are_shingled_by_characters_and_short_ones_are_one_shingle():
    h = MinHasher(8, 5, 4, 2)
    assert h.shingles("two words").shape == (len("two words") - 4,)
    assert h.shingles("two").shape == (1,)
    assert h.shingles("").shape == (0,)
    assert h.shingles(normalised("北京大学创建于1898年")).shape == (len("北京大学创建于1898年") - 4,)
    assert h.signature("").max() == 2**32 - 1


def test_candidates_pair_each_input_with_its_band_run_first_and_predecessor(tmp_path):
    index = InputIndex(MinHasher(128, 5, 32, 4), 90, tmp_path)
    base = text(7)
    for i in range(4):
        index.add(base + (" extra" * i))  # four near copies share most bands
    index.add(text(8))
    index.add("")
    pairs = index.candidates()
    assert {tuple(p) for p in pairs.tolist()} >= {(0, 1), (1, 2), (2, 3), (0, 3)}
    assert all(a < b for a, b in pairs.tolist())
    assert not any(4 in p or 5 in p for p in pairs.tolist())
    assert pairs.tolist() == sorted(pairs.tolist(), key=lambda p: (p[1], p[0]))


def test_union_of_band_pairs_is_their_sorted_distinct_values():
    rng = np.random.default_rng(7)
    codes = np.zeros(0, dtype=np.int64)
    seen: list[np.ndarray] = []
    for _ in range(5):
        more = [rng.integers(0, 50, size=int(rng.integers(0, 30))) for _ in range(2)]
        seen += more
        codes = _union(codes, *more)
        assert codes.tolist() == np.unique(np.concatenate(seen)).tolist()


def test_clusters_root_at_the_earliest_verified_input(tmp_path):
    texts = [text(1), text(2), text(1) + " tail", text(2).replace(WORDS[0], "zz"), text(1)[:-30] + " other words here"]
    index = InputIndex(MinHasher(128, 5, 32, 4), 90, tmp_path)
    for t in texts:
        index.add(t)
    asked = []

    def lookup(i):
        asked.append(i)
        return texts[i]

    assert index.clusters(lookup).tolist() == [0, 1, 0, 1, 0]
    assert len(asked) == len(set(asked))  # each candidate text is read once


def test_recall_of_injected_near_copies(tmp_path):
    rng = random.Random(5)
    texts, pairs = [text(i, rng.randint(40, 120)) for i in range(300)], []
    for i in range(0, 300, 3):
        words = texts[i].split()
        for _ in range(rng.randint(1, 3)):
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        pairs.append((i, len(texts)))
        texts.append(" ".join(words))
    index = InputIndex(MinHasher(128, 5, 32, 4), 90, tmp_path)
    for t in texts:
        index.add(t)
    root = index.clusters(texts.__getitem__)
    assert sum(root[b] == root[a] for a, b in pairs) / len(pairs) >= 0.95
    assert (root[:300] == np.arange(300)).all()  # no false near copies among the originals


def test_typos_spread_over_a_text_keep_it_a_candidate():
    h = MinHasher(128, 5, 32, 4)
    a = text(3, 120)
    b = " ".join(w + w[-1] if i % 6 == 0 else w for i, w in enumerate(a.split()))  # a letter doubled in every 6th word
    assert jaccard(h, a, b) > 0.6  # word 5-shingles would share none
    assert (h.keys(a) == h.keys(b)).any()
