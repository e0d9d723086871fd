"""Keyed draws: a stream per decision, and choices that a new item changes only where it wins."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from hum.draws import Draws, Stream, digest, keyed

ITEMS = [f"item{i}" for i in range(12)]
DRAWS = [Draws(13, f"ds/{i}", k) for i in range(300) for k in (0, 1)]


def test_digests_are_pinned():
    """blake2b, not `hash()`: the same on every run and Python version, so a corpus rebuilds to the byte."""
    assert digest(13, "wnut17/1", 0, "layout", "headed") == 9107500181308456184
    assert Draws(13, "wnut17/1", 0).pick("layout", ["headed", "text_first", "markdown", "prose", "bracketed"]) == "prose"


def test_draws_are_keyed_by_seed_record_k_and_decision():
    base = Draws(1, "a", 0)
    assert base.weight("x") == Draws(1, "a", 0).weight("x")
    others = [Draws(2, "a", 0), Draws(1, "b", 0), Draws(1, "a", 1)]
    assert all(o.weight("x") != base.weight("x") for o in others)
    assert base.weight("x") != base.weight("y")
    assert base.weight("x", "l1") != base.weight("x", "l2")
    assert 0 <= base.weight("x") < 1


def sequence(rng: random.Random) -> list[float]:
    return [rng.random() for _ in range(5)]


def test_a_decision_rng_is_private():
    draws = Draws(1, "a", 0)
    first, other = sequence(draws.rng("first")), draws.rng("other")
    for _ in range(100):  # however much another decision draws
        other.random()
    assert sequence(draws.rng("first")) == first
    assert sequence(draws.rng("other")) != first


def test_pick_returns_an_item_and_refuses_an_empty_pool():
    assert {d.pick("p", ITEMS) for d in DRAWS} == set(ITEMS)
    with pytest.raises(IndexError, match="nothing to pick for 'p'"):
        Draws(1).pick("p", [])


def test_pick_is_about_uniform():
    counts = Counter(Draws(7, str(i)).pick("p", ITEMS) for i in range(6000))
    assert all(abs(n - 500) < 100 for n in counts.values()), counts


def test_a_new_item_changes_only_the_picks_it_wins():
    grown = [*ITEMS[:5], "new", *ITEMS[5:]]  # wherever it is listed
    changed = [(d.pick("p", ITEMS), d.pick("p", grown)) for d in DRAWS]
    assert all(after in {before, "new"} for before, after in changed)
    assert 0 < sum(after == "new" for _, after in changed) < len(DRAWS) / 5


def test_pick_keys_items_by_their_key_not_their_place():
    records = [{"id": i, "text": f"t{i}"} for i in ITEMS]
    for d in DRAWS[:50]:
        assert d.pick("p", records, key=lambda r: r["id"])["id"] == d.pick("p", ITEMS)
        assert d.pick("p", ITEMS[::-1]) == d.pick("p", ITEMS)


def test_order_is_a_shuffle_that_a_new_item_does_not_reorder():
    for d in DRAWS[:100]:
        ranked = d.order("o", ITEMS)
        assert sorted(ranked) == sorted(ITEMS)
        assert ranked[0] == d.pick("o", ITEMS)
        assert [x for x in d.order("o", [*ITEMS, "new"]) if x != "new"] == ranked
    assert len({tuple(d.order("o", ITEMS)) for d in DRAWS[:100]}) == 100


@pytest.mark.parametrize("p", [0.0, 0.2, 0.7, 1.0])
def test_chance_has_its_probability(p):
    hits = sum(Draws(3, str(i)).chance("c", p) for i in range(5000))
    assert abs(hits / 5000 - p) < 0.03


def test_chance_is_keyed_per_key():
    d = Draws(5, "r", 0)
    assert len({d.chance("keep", 0.5, f"label{i}") for i in range(40)}) == 2


def test_from_rng_takes_one_draw_whatever_follows():
    rng, twin = random.Random(9), random.Random(9)
    keyed = Draws.from_rng(rng)
    keyed.order("o", ITEMS)
    keyed.rng("x").random()
    twin.getrandbits(64)
    assert rng.random() == twin.random()
    assert Draws.from_rng(random.Random(9)) == Draws.from_rng(random.Random(9))


def test_keyed_pools_draw_as_the_items_they_key():
    records = [{"id": i, "text": f"t{i}"} for i in ITEMS]
    pool = keyed(records, key=lambda r: r["id"])
    for d in DRAWS[:100]:
        assert d.pick("p", pool) == d.pick("p", records, key=lambda r: r["id"])
        assert d.order("o", pool) == d.order("o", records, key=lambda r: r["id"])
        assert d.order("o", keyed(ITEMS)) == d.order("o", ITEMS)


def test_one_item_is_picked_and_ordered_unweighed():
    assert [Draws(s).pick("p", ["only"]) for s in range(5)] == ["only"] * 5
    assert Draws(1).order("o", ["only"]) == ["only"]
    assert Draws(1).order("o", []) == []


def test_equal_keys_keep_their_order():
    twins = [("a", 1), ("a", 2), ("b", 3)]
    for d in DRAWS[:50]:
        ranked = d.order("o", twins, key=lambda t: t[0])
        assert [t for t in ranked if t[0] == "a"] == [("a", 1), ("a", 2)]
        assert d.pick("p", twins, key=lambda t: t[0]) in {("a", 1), ("b", 3)}


@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1, 2**32, 2**63 + 5, 2**64 - 1])
def test_a_stream_is_the_random_of_its_seed(seed):
    stream, plain = Stream(seed), random.Random(seed)
    assert stream.getstate() == plain.getstate()
    draws = [(r.random(), r.randint(1, 6), r.getrandbits(64)) for r in (stream, plain)]
    assert draws[0] == draws[1]


def test_a_decision_rng_is_seeded_with_its_digest():
    d = Draws(13, "wnut17/1", 0)
    assert d.rng("labels").getstate() == random.Random(digest(13, "wnut17/1", 0, "labels")).getstate()
