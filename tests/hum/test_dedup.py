from __future__ import annotations

from hum.dedup import Dedup, normalised

SEED = "Taylor Swift played three shows at the Rose Bowl in Pasadena last summer with huge crowds"


def rec(rid, seed=SEED, answer='["Taylor Swift"]', task="ner", desc="List every entity of type person."):
    user = f"{desc}\n\nText:\n{seed}"
    return {
        "id": rid,
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": user},
            {"role": "assistant", "content": answer},
        ],
        "meta": {"task": task, "lang": "en", "text_span": [len(user) - len(seed), len(user)]},
    }


def test_normalised():
    assert normalised("Hello, WORLD!! 2024 foo_bar") == "hello world 2024 foo bar"


def test_exact_and_near_duplicates():
    step = Dedup(threshold=95, block_words=8)
    batch = [
        rec("a"),
        rec("b", seed=SEED.upper() + "!!!"),  # same after normalisation
        rec("c", desc="List every entity of type persons."),  # one letter more: near duplicate
        rec("d", desc="Which spans in the text are entities of type location?", answer='["Rose Bowl", "Pasadena"]'),
        rec("e", seed="A completely different sentence about the weather in Oslo today"),
        rec("f", task="re"),  # same pair text, so an exact copy even in another block
    ]
    kept, rejected = step(batch)
    assert [r["id"] for r in kept] == ["a", "d", "e"]
    assert [(r["record"]["id"], r["reason"]) for r in rejected] == [
        ("b", "exact duplicate"),
        ("c", "near duplicate"),
        ("f", "exact duplicate"),
    ]
    kept, rejected = step([rec("g")])  # state carries across batches
    assert kept == []
    assert rejected[0]["reason"] == "exact duplicate"
    assert step.summary() == "[dedup] 7 in, 3 out, 4 rejected (exact duplicate: 3; near duplicate: 1)"


def test_near_duplicates_only_within_a_block():
    step = Dedup(threshold=95, block_words=8)
    a = rec("a")
    b = rec("b", task="re", desc="List every entity of type persons.")  # near a, but another task's block
    kept, _ = step([a, b])
    assert [r["id"] for r in kept] == ["a", "b"]
