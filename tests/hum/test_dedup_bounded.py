"""Dedup verification has a bounded cost per pair: megabyte texts never reach rapidfuzz whole."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from hum.dedup import Dedup
from hum.dedup.keys import normalised
from hum.dedup.lsh import InputIndex
from hum.dedup.minhash import MinHasher
from hum.dedup.similar import MAX_CHARS, Bounded, clipped, near, within_reach
from hum.records import meta_record

WORDS = ["".join(random.Random(i).choices("abcdefghijklmnop", k=6)) for i in range(2000)]
LONG = 2_000_000  # characters: the seed text that once took dedup 25 s on one pair


def long_text(seed: int, chars: int = LONG) -> str:
    words = random.Random(seed).choices(WORDS, k=chars // 7 + 1)
    return " ".join(words)[:chars]


def edited(text: str, seed: int, edits: int = 5, *, middle: bool = False) -> str:
    """A near copy: a few words replaced at scattered places (so rapidfuzz cannot just strip a common prefix).

    `middle`: only in the middle third, which a clipped comparison does not see.
    """
    rng, words = random.Random(seed), text.split(" ")
    low, high = (len(words) // 3, 2 * len(words) // 3) if middle else (0, len(words))
    for _ in range(edits):
        words[rng.randrange(low, high)] = rng.choice(WORDS)
    return " ".join(words)


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Characters of every pair handed to rapidfuzz's ratio (directly or as a `process.extract` scorer)."""
    sizes: list[int] = []
    real = fuzz.ratio

    def spy(a: str, b: str, **kwargs: object) -> float:
        sizes.append(len(a) + len(b))
        return real(a, b, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fuzz, "ratio", spy)
    return sizes


@settings(max_examples=300, deadline=None)
@given(st.text("ab ", max_size=60), st.text("ab ", max_size=60), st.sampled_from([50, 80, 90, 95, 100]))
def test_bounded_verification_agrees_with_rapidfuzz_on_ordinary_texts(a: str, b: str, threshold: float) -> None:
    assert near(Bounded.of(a), Bounded.of(b), threshold) == bool(fuzz.ratio(a, b, score_cutoff=threshold))


def test_the_length_bound_is_exact_at_the_threshold() -> None:
    assert within_reach(95, 105, 95)  # 200 * 95 / 200 = 95: reachable, rapidfuzz decides
    assert not within_reach(94, 106, 95)
    assert within_reach(0, 0, 100)  # two empty texts are equal
    assert near(Bounded.of("a" * 95), Bounded.of("a" * 105), 95)


def test_long_texts_are_clipped_to_their_head_and_tail() -> None:
    text = long_text(1, 3 * MAX_CHARS)
    assert clipped(text) == text[: MAX_CHARS // 2] + text[-MAX_CHARS // 2 :]
    assert clipped(text[:MAX_CHARS]) == text[:MAX_CHARS]
    assert Bounded.of(text).length == len(text)


def test_a_pair_of_2mb_near_copies_is_verified_on_a_bounded_prefix_and_suffix(handed: list[int], tmp_path: Path) -> None:
    a = normalised(long_text(1))
    texts = [a, edited(a, 2), normalised(long_text(3))]
    index = InputIndex(MinHasher(128, 5, 32, 4), 90, tmp_path)
    for text in texts:
        index.add(text)
    assert index.clusters(texts.__getitem__).tolist() == [0, 0, 2]  # the near copy joins, the other text does not
    assert handed, "the near copy was verified by rapidfuzz"
    assert max(handed) <= 2 * MAX_CHARS  # not 4 MB: about 10 ms instead of 25 s


def test_lengths_out_of_reach_never_reach_rapidfuzz(handed: list[int]) -> None:
    a = long_text(1)
    assert not near(Bounded.of(a), Bounded.of(a[: LONG // 2]), 90)  # same head, half the length: ratio <= 66.7
    assert not near(Bounded.of(a), Bounded.of(a[: MAX_CHARS // 2] + a[-MAX_CHARS // 2 :]), 90)  # equal clips, lengths apart
    assert handed == []


def instruction(rid: str, ask: str, answer: str, text: str) -> dict[str, object]:
    """A generalist-like record; with an empty `text` the whole (long) request is the instruction."""
    before = f"{ask}\n\nText:\n"
    span = [len(before), len(before) + len(text)]
    meta = meta_record(task="generalist", dataset="d1", seed_id=rid, lang="en", kind="request", text_span=span)
    return {
        "id": rid,
        "messages": [{"role": "user", "content": before + text}, {"role": "assistant", "content": answer}],
        "meta": meta,
    }


def test_dedup_over_2mb_inputs_and_instructions_stays_bounded(handed: list[int]) -> None:
    text, ask = long_text(1), "Summarise this text. " + long_text(4, 300_000)
    records = [
        instruction("a", "What is the first word?", "alpha", text),
        instruction("b", "What is the first word?", "alpha", edited(text, 2)),  # near-copy input, same request
        instruction("c", ask, "beta", ""),  # no input: a 300 kB instruction
        instruction("d", edited(ask, 5, middle=True), "beta", ""),  # another word in the unseen middle: a near copy
        instruction("e", ask[: len(ask) // 2], "beta", ""),  # shares the head only: lengths out of reach
    ]
    step = Dedup()
    kept = step.process(records)
    assert [r["id"] for r in kept] == ["a", "c", "e"]
    assert {r["record"]["id"]: r["duplicate_of"] for r in step.rejected} == {"b": "a", "d": "c"}
    assert max(handed) <= 2 * MAX_CHARS + 2  # + the newline between instruction and answer, and the answer
