from __future__ import annotations

import random
from collections import Counter

import pytest

from conftest import DATA, FORMATS, generation_context
from hum.answers import answer_problem
from hum.generate import instructions_for
from hum.io import read_jsonl
from hum.normalise import FieldError, normalise, oie
from hum.prepare import prepare_dataset, train_records
from hum.records import input_text
from hum.rules import RULES
from hum.tasks import TASKS

OIE = TASKS["oie"]
CFG = {"name": "carb", "task": "oie", "lang": "en", "loader": "jsonl", "train": str(DATA / "oie/carb_dev.jsonl")}
RAW = list(read_jsonl(DATA / "oie/carb_dev.jsonl"))


@pytest.fixture(scope="module")
def carb() -> list[dict]:
    return [normalise(row, CFG, i) for i, row in enumerate(RAW)]


def test_normalised_records(carb):
    assert len(carb) == 641
    for raw, rec in zip(RAW, carb, strict=True):
        assert (rec["id"], rec["text"], rec["tuples"]) == (raw["id"], raw["sentence"], raw["tuples"])
        assert "sentence" not in rec
        assert OIE.spans(rec) == []
        assert OIE.labels_of(rec) == []


def test_short_tuple_is_an_error():
    with pytest.raises(FieldError) as info:
        oie({"sentence": "It rains .", "tuples": [["It", "rains"], ["It"]]}, {})
    assert (info.value.field, info.value.problem) == ("tuples[1]", "needs at least a subject and a relation, has 1 field(s)")


def test_rows_keep_file_order_and_join_the_object(carb):
    rec = carb[1]  # "He served as the first Prime Minister of Australia and ..."
    q = OIE.query(rec, [], random.Random(0), "tuples")
    assert (q.subtask, q.columns, q.labels, q.label_column, q.slots) == (
        "tuples",
        ("subject", "relation", "object"),
        [],
        None,
        {},
    )
    assert q.rows == [
        ("He", "served as", "the first Prime Minister of Australia"),
        ("He", "became", "a founding justice of the High Court of Australia"),
        ("Australia", "has a", "Prime Minister"),
        ("Australia", "has a", "High Court"),
    ]


def test_tuples_with_an_empty_field_are_left_out(carb):
    """The documented exception: 56 CaRB tuples have no object; an empty middle argument is skipped in the join."""
    kept, left_out = 0, 0
    for rec in carb:
        rows = OIE.query(rec, [], random.Random(0), "tuples").rows
        expected = [(t[0], t[1], " ".join(a for a in t[2:] if a)) for t in rec["tuples"]]
        assert rows == [r for r in expected if r[2]]
        assert all(v and v == v.strip() for r in rows for v in r)  # what every format can carry
        kept, left_out = kept + len(rows), left_out + len(expected) - len(rows)
    assert (kept, left_out) == (2548 - 56, 56)
    assert OIE.query({"text": "x", "tuples": [["a", "b", "", "c"]]}, [], random.Random(0), "tuples").rows == [("a", "b", "c")]


def test_at_least_three_rule_families_apply(carb):
    q = OIE.query(carb[1], [], random.Random(0), "tuples")
    families = {r.family for r in RULES.values() if r.applies(q)}
    assert families == {"duplicates", "order", "empty", "answer_only"}
    assert {r.id for r in RULES.values() if r.applies(q) and r.family == "order"} == {"order:alpha"}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    out = tmp_path_factory.mktemp("prepared")
    counts = prepare_dataset(CFG, {"max_records": 300, "eval_fraction": 0.2, "on_error": "raise"}, 13, out)
    assert (counts["train"], counts["quarantined"]) == (300, 0)
    assert (out / "carb.labels.json").read_text(encoding="utf-8").strip() == "[]"
    return out


@pytest.mark.parametrize("seed", range(10))
def test_generated_answers_parse_back(prepared, seed):
    ctx = generation_context(prepared, seed)
    seen = Counter()
    for rec in train_records(prepared, "general"):
        for out in instructions_for(rec, ctx):
            assert answer_problem(out) is None, out
            assert input_text(out) == rec["text"]
            meta = out["meta"]
            seen.update([meta["format"], meta["kind"], *meta["rules"]])
            assert (meta["task"], meta["subtask"], meta["labels"]) == ("oie", "tuples", [])
    assert {"basic", "compound", *FORMATS} <= set(seen)
    queries = [TASKS["oie"].query(r, [], random.Random(0), "tuples") for r in list(train_records(prepared, "general"))[:20]]
    assert {rule.id for q in queries for rule in RULES.values() if rule.applies(q)} <= set(seen)  # every rule for oie
