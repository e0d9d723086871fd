"""Windows over long MRC contexts (issue 16), on real XQuAD passages stretched into one long context."""

from __future__ import annotations

import itertools

import pytest

from conftest import CFG, DATA, FILES
from hum.io import read_jsonl
from hum.normalise import normalise
from hum.windows import spans, windowed

SIZES = [100, 333, 600, 1000]


def stretched(first: int = 0, n_passages: int = 4) -> list[dict]:
    """Real XQuAD rows whose context is `n_passages` passages (from the `first`) joined: answers shifted to their passage."""
    rows = list(itertools.islice(read_jsonl(DATA / FILES["mrc"]), 300))
    passages = list(dict.fromkeys(r["context"] for r in rows))[first : first + n_passages]
    base = {p: sum(len(q) + 1 for q in passages[:i]) for i, p in enumerate(passages)}
    context = " ".join(passages)
    return [
        {
            **r,
            "context": context,
            "answers": [{**a, "answer_start": a["answer_start"] + base[r["context"]]} for a in r["answers"]],
        }
        for r in rows
        if r["context"] in base
    ]


@pytest.fixture(scope="module")
def long_records() -> list[dict]:
    return [normalise(row, CFG["mrc"], i) for i, row in enumerate(stretched())]


def test_the_stretched_records_are_real_and_long(long_records):
    assert len(long_records) > 20
    assert min(len(r["text"]) for r in long_records) > 2000
    assert all(r["text"][a["start"] : a["end"]] == a["text"] for r in long_records for a in r["answers"])


@pytest.mark.parametrize("size", SIZES)
def test_windows_are_short_overlapping_and_cover_the_text(long_records, size):
    text = long_records[0]["text"]
    found = spans(text, size)
    assert len(found) > 1
    assert all(0 < e - s <= size and text[s:e] == text[s:e].strip() for s, e in found)
    assert found[0][0] == 0
    assert found[-1][1] == len(text)
    for (s1, e1), (s2, e2) in itertools.pairwise(found):
        assert s1 < s2 <= s1 + size // 2
        assert e1 < e2
        assert e1 - s2 >= size // 4 - 2  # the overlap, less whitespace trimmed at a cut


@pytest.mark.parametrize("size", SIZES)
def test_windows_keep_exact_offsets_and_mark_the_unanswerable(long_records, size):
    for rec in long_records:
        pieces = windowed(rec, size)
        assert [p["id"] for p in pieces] == [f"{rec['id']}#w{n}" for n in range(1, len(pieces) + 1)]
        for piece in pieces:
            start, end = piece["window"]
            assert piece["text"] == rec["text"][start:end]
            assert {k: v for k, v in piece.items() if k not in {"id", "text", "answers", "window"}} == {
                k: v for k, v in rec.items() if k not in {"id", "text", "answers"}
            }
            assert all(piece["text"][a["start"] : a["end"]] == a["text"] for a in piece["answers"])
            inside = [a for a in rec["answers"] if start <= a["start"] and a["end"] <= end]
            assert [(a["start"] - start, a["text"]) for a in inside] == [(a["start"], a["text"]) for a in piece["answers"]]
        if max(len(a["text"]) for a in rec["answers"]) <= size // 4:
            assert any(p["answers"] for p in pieces), "an answer up to a quarter window lies wholly in some window"


def test_answerable_and_unanswerable_windows_both_occur(long_records):
    pieces = [p for rec in long_records for p in windowed(rec, 600)]
    assert any(p["answers"] for p in pieces)
    assert any(not p["answers"] for p in pieces)


def test_a_context_that_fits_is_left_as_it_is(long_records):
    rec = long_records[0]
    assert windowed(rec, len(rec["text"])) == [rec]
    assert spans("short text", 100) == [(0, 10)]


def test_cuts_prefer_sentence_starts():
    text = "Alpha beta gamma delta epsilon. Zeta eta theta iota kappa lambda mu."  # a word starts later, "eta" at 37
    first_end = spans(text, 40)[0][1]
    assert text[:first_end] == "Alpha beta gamma delta epsilon."


def test_without_spaces_a_window_is_cut_at_its_size():
    assert spans("x" * 10, 4) == [(0, 4), (2, 6), (4, 8), (6, 10)]
    with pytest.raises(ValueError, match="too small"):
        spans("x" * 10, 3)
