"""Dedup on real data: XQuAD passages with several questions each, through prepare and generate."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from test_dedup import qa

from conftest import DATA, generation_context
from hum.dedup import Dedup
from hum.generate import Generate
from hum.prepare import prepare_dataset, train_records
from hum.records import input_text, message

ROWS = 160


@pytest.fixture(scope="module", params=["mixed", "basic"])
def generated(request, tmp_path_factory):
    """Instructions (two per question, plus gold-derived requests) over the first XQuAD rows.

    `basic` instructions in one layout are the issue's case: the question is a small part of the user message.
    """
    seeds, out = tmp_path_factory.mktemp("seeds"), tmp_path_factory.mktemp("prepared")
    head = (DATA / "mrc/xquad_en_squad11dev_subset.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:ROWS]
    (seeds / "xquad_en.jsonl").write_text("".join(head), encoding="utf-8")
    cfg = {"name": "xquad_en", "task": "mrc", "lang": "en", "loader": "jsonl", "train": str(seeds / "xquad_en.jsonl")}
    prepare_dataset(cfg, {"max_records": ROWS, "eval_fraction": 0.0, "on_error": "raise"}, 13, out)
    basic = {"compound_ratio": 0.0, "layouts": ["headed"]} if request.param == "basic" else {}
    ctx = generation_context(out, 13, subtasks={"mrc": ["extractive"]}, **basic)
    return Generate(ctx).process(list(train_records(out, "general")))


def edited_copy(record):
    """The record over its passage with one word changed, as if another dataset shipped a slightly edited copy."""
    user, (start, end) = message(record, "user"), record["meta"]["text_span"]
    words = user[start:end].split(" ")
    words[len(words) // 2] = "indeed"
    text = " ".join(words)
    messages = [{**m, "content": user[:start] + text + user[end:]} if m["role"] == "user" else m for m in record["messages"]]
    meta = {**record["meta"], "dataset": "xquad_copy", "text_span": [start, start + len(text)]}
    return {"id": "copy/" + record["id"], "messages": messages, "meta": meta}


def questions_by_passage(records):
    by_passage = defaultdict(set)
    for r in records:
        if r["meta"]["task"] == "mrc" and not r["meta"]["negative"]:
            by_passage[input_text(r)].add(r["meta"]["slots"]["question"])
    return by_passage


def test_distinct_questions_over_one_passage_are_all_kept(generated):
    kept, removed = Dedup()(generated)
    before, after = questions_by_passage(generated), questions_by_passage(kept)
    assert max(len(q) for q in before.values()) >= 5, "the sample has passages with several questions"
    assert after == before
    by_id = {r["id"]: r for r in generated}
    for r in removed:  # only another instruction for the very same question goes
        first = by_id[r["duplicate_of"]]
        if r["reason"] == "conflicting answer":  # XQuAD has rows with the same passage and question, other answers
            assert (input_text(first), first["meta"]["slots"]["question"]) == (
                input_text(r["record"]), r["record"]["meta"]["slots"]["question"]
            )
            continue
        assert r["reason"] in {"exact duplicate", "near-duplicate instruction over the same input"}
        assert first["meta"]["seed_id"] == r["record"]["meta"]["seed_id"]


def test_the_questions_over_an_edited_copy_of_each_passage_are_removed(generated):
    long_passages = [r for r in generated if len(input_text(r).split()) >= 60]
    copies = [edited_copy(r) for r in long_passages]
    step = Dedup()
    kept, removed = step(generated + copies)
    assert not any(r["id"].startswith("copy/") for r in kept)
    reasons = {r["record"]["id"]: r["reason"] for r in removed}
    expected = {"near-duplicate input and instruction", "exact duplicate", "conflicting answer"}
    assert all(reasons[c["id"]] in expected for c in copies)
    assert questions_by_passage(kept) == questions_by_passage(generated)
    assert step.stats["inputs: near copies"] >= len({input_text(r) for r in long_passages})


def typos_spread(text, every=5):
    """Every `every`-th word with a letter doubled: a near copy by ratio, but every word 5-shingle changes."""
    words = text.split(" ")
    return " ".join(w[:2] + w[1:] if i % every == 3 else w for i, w in enumerate(words))


def test_a_copy_of_a_real_passage_with_typos_spread_over_it_is_found():
    rows = [json.loads(line) for line in (DATA / "mrc/xquad_en_squad11dev_subset.jsonl").read_text(encoding="utf-8").splitlines()]
    passages = list(dict.fromkeys(r["context"] for r in rows))[:40]
    copy = typos_spread(passages[7])
    assert copy != passages[7]
    records = [qa(f"p{i}", "What is this passage about?", "this", text=t) for i, t in enumerate(passages)]
    step = Dedup()
    _, removed = step([*records, qa("copy", "What is this passage about?", "this", text=copy, dataset="d2")])
    assert [(r["record"]["id"], r["reason"], r["duplicate_of"]) for r in removed] == [
        ("copy", "near-duplicate input and instruction", "p7")
    ]
    assert step.stats["inputs: near copies"] == 1  # no two distinct real passages are taken for near copies
