from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from hum.mix import index_by_key, plan, read_pointers, sample

TASKS = {"ner": [(0, i) for i in range(100)], "re": [(0, 1000 + i) for i in range(50)], "cls": [(0, 2000 + i) for i in range(40)]}
GENERAL = [(1, i) for i in range(200)]


def kinds(order):
    return Counter("general" if s == 1 else ("ner" if o < 1000 else "re" if o < 2000 else "cls") for s, o in order)


def test_plan_is_deterministic():
    a = plan(TASKS, GENERAL, {"ner": 0.5}, 0.1, 13)
    assert a == plan(TASKS, GENERAL, {"ner": 0.5}, 0.1, 13)
    assert a != plan(TASKS, GENERAL, {"ner": 0.5}, 0.1, 14)
    assert len(set(a)) == len(a)


@pytest.mark.parametrize(
    ("ratios", "share", "expected"),
    [
        ({"ner": 0.5, "re": 1.0, "cls": 0.25}, 0.1, {"ner": 50, "re": 50, "cls": 10, "general": 12}),
        ({}, 0.0, {"ner": 100, "re": 50, "cls": 40}),
        ({"ner": 0.0, "re": 0.2, "cls": 1.0}, 0.5, {"re": 10, "cls": 40, "general": 50}),
        ({}, 0.9, {"ner": 100, "re": 50, "cls": 40, "general": 200}),  # capped at the general data there is
    ],
)
def test_plan_respects_ratios_and_share(ratios, share, expected):
    assert kinds(plan(TASKS, GENERAL, ratios, share, 3)) == expected


def test_plan_without_general_data():
    assert kinds(plan(TASKS, [], {}, 0.1, 3)) == {"ner": 100, "re": 50, "cls": 40}


def test_sample():
    pointers = [(0, i) for i in range(10)]
    assert sample(pointers, 1.0, random.Random(0)) == pointers
    assert len(sample(pointers, 0.3, random.Random(0))) == 3


def test_index_and_read_pointers(tmp_path):
    path = tmp_path / "v.jsonl"
    recs = [
        {"id": "1", "meta": {"task": "ner"}},
        {"id": "2", "meta": {"task": "re"}, "x": "北京"},
        {"id": "3", "task": "general"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    groups = index_by_key(path, "task", 0)
    assert sorted(groups) == ["general", "ner", "re"]
    order = [groups["general"][0], groups["ner"][0], groups["re"][0]]
    assert list(read_pointers([path], order)) == [recs[2], recs[0], recs[1]]
