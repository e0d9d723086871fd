from __future__ import annotations

import random
from collections import Counter

import pytest

from hum.rules import FAMILY_ORDER, RULES, apply_rules
from hum.tasks import TASKS, Query

ROWS = [("person", "bob"), ("LOC", "Paris"), ("person", "Alice"), ("LOC", "Paris"), ("org", "acme")]


def ner_query(rows=ROWS):
    return Query("ner", "extract", ("type", "entity"), list(rows), ["org", "LOC", "person"], "type")


def test_no_rules_keeps_gold():
    assert apply_rules([], ner_query()) == (ROWS, None)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("order:text", ROWS),
        ("order:alpha", [("LOC", "Paris"), ("LOC", "Paris"), ("org", "acme"), ("person", "Alice"), ("person", "bob")]),
        ("order:label", [("org", "acme"), ("LOC", "Paris"), ("LOC", "Paris"), ("person", "bob"), ("person", "Alice")]),
        ("dup:once", [("person", "bob"), ("LOC", "Paris"), ("person", "Alice"), ("org", "acme")]),
        ("dup:all", ROWS),
        ("case:upper", [("PERSON", "bob"), ("LOC", "Paris"), ("PERSON", "Alice"), ("LOC", "Paris"), ("ORG", "acme")]),
        ("case:lower", [("person", "bob"), ("loc", "Paris"), ("person", "Alice"), ("loc", "Paris"), ("org", "acme")]),
        ("span:verbatim", ROWS),
        ("answer:only", ROWS),
    ],
)
def test_each_rule(rule, expected):
    assert apply_rules([rule], ner_query()) == (expected, None)


@pytest.mark.parametrize(("rule", "form"), [("empty:none", "None"), ("empty:na", "N/A"), ("empty:sentence", "No results found.")])
def test_empty_rules_state_their_form(rule, form):
    assert apply_rules([rule], ner_query()) == (ROWS, form)
    assert apply_rules([rule], ner_query([])) == ([], form)


def test_families_apply_in_order():
    # dup:once before order:label before case:upper, whatever order the ids are given in
    rows, empty = apply_rules(["case:upper", "empty:na", "order:label", "dup:once"], ner_query())
    assert rows == [("ORG", "acme"), ("LOC", "Paris"), ("PERSON", "bob"), ("PERSON", "Alice")]
    assert empty == "N/A"
    assert {r.family for r in RULES.values()} == set(FAMILY_ORDER)


def test_casing_only_touches_label_column():
    q = Query("re", "triples", ("head", "relation", "tail"), [("Ann", "Works-For", "ACME")], ["Works-For"], "relation")
    assert apply_rules(["case:lower"], q)[0] == [("Ann", "works-for", "ACME")]


def test_rule_applicability():
    cls = Query("cls", "classify", ("label",), [("a",)], ["a", "b"], "label")
    mrc = Query("mrc", "extractive", ("answer",), [("x",)], [], None, {"question": "?"})
    assert {r for r, rule in RULES.items() if rule.applies(cls)} == {
        "empty:none",
        "empty:na",
        "empty:sentence",
        "order:alpha",
        "case:lower",
        "case:upper",
        "answer:only",
    }
    assert {r for r, rule in RULES.items() if rule.applies(mrc)} == {
        "empty:none",
        "empty:na",
        "empty:sentence",
        "span:verbatim",
        "answer:only",
    }


@pytest.mark.parametrize("kind", ["ner", "re", "cls"])
def test_rules_map_real_gold_rows(records, kind):
    """Order rules permute, dup:once dedups, casing maps the label column: checked on real queries."""
    task = TASKS["re" if kind == "re" else kind]
    labels = sorted({lab for r in records[kind] for lab in task.labels_of(r)})
    for i, rec in enumerate(records[kind]):
        q = task.query(rec, labels, random.Random(i), task.subtasks[0])
        for rule in ("order:alpha", "order:label", "order:text"):
            if RULES[rule].applies(q):
                assert Counter(apply_rules([rule], q)[0]) == Counter(q.rows)
        if RULES["dup:once"].applies(q):
            assert apply_rules(["dup:once"], q)[0] == list(dict.fromkeys(q.rows))
        col = q.columns.index(q.label_column)
        for rule, case in (("case:upper", str.upper), ("case:lower", str.lower)):
            cased = apply_rules([rule], q)[0]
            assert [r[col] for r in cased] == [case(r[col]) for r in q.rows]
            assert [r[:col] + r[col + 1 :] for r in cased] == [r[:col] + r[col + 1 :] for r in q.rows]


def test_nested_rules_on_a_nested_ner_record():
    text = "The University of Lyon Hospital opened."
    ents = [
        {"start": 4, "end": 31, "type": "organisation", "text": "University of Lyon Hospital"},
        {"start": 4, "end": 22, "type": "organisation", "text": "University of Lyon"},
        {"start": 18, "end": 22, "type": "location", "text": "Lyon"},
    ]
    record = {"id": "n1", "text": text, "entities": ents}
    sampled = TASKS["ner"].query(record, ["organisation", "location"], random.Random(0), "extract")
    assert [text[s:e] for s, e in sampled.offsets] == [row[1] for row in sampled.rows]
    rows = [(e["type"], e["text"]) for e in ents]
    query = Query(
        "ner", "extract", ("type", "entity"), rows, ["organisation", "location"], "type", offsets=[(4, 31), (4, 22), (18, 22)]
    )
    assert apply_rules(["nested:outermost"], query)[0] == [("organisation", "University of Lyon Hospital")]
    assert apply_rules(["nested:all"], query)[0] == query.rows
    assert apply_rules(["nested:outermost", "order:alpha"], query)[0] == [("organisation", "University of Lyon Hospital")]
    flat = TASKS["ner"].query({**record, "entities": ents[2:]}, ["location"], random.Random(0), "by_type")
    assert not RULES["nested:outermost"].applies(flat)
