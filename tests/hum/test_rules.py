from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import hum.rules as registry
from hum.answers import answer_problem
from hum.draws import Draws
from hum.formats import FORMATS
from hum.phrasing import load_phrasings
from hum.records import meta_record
from hum.rules import FAMILY_ORDER, RULES, Rule, apply_rules, conflict, for_task, pick_rules, rule_columns
from hum.rules.mrc_span import gold_choices
from hum.settings import ConfigError, check_params
from hum.tasks import TASKS, Query
from hum.tasks.mrc import ANSWERS_SLOT, gold_answers
from hum.validate import checked_answer

ROOT = Path(__file__).resolve().parents[2]
ROWS = [("person", "bob"), ("LOC", "Paris"), ("person", "Alice"), ("LOC", "Paris"), ("org", "acme")]
DROPPING = {"nested:outermost", "labels:subset", "dup:once", "limit:first"}  # may leave gold rows out
CHECKED = frozenset(  # the rules whose meaning the checks below spell out; a rule registered later gets the generic checks
    {
        "offsets:char", "nested:outermost", "nested:all", "labels:subset", "dup:once", "dup:all", "limit:first", "order:text",
        "order:alpha", "order:label", "case:lower", "case:upper", "mrc:sentence", "mrc:shortest", "cls:reason", "cls:label",
        "empty:none", "empty:na", "empty:sentence", "span:verbatim", "answer:only",
    }
)  # fmt: skip
EMPTY_FORMS = sorted(r for r, rule in RULES.items() if rule.states_empty)
PROPERTY = settings(max_examples=100, deadline=None)


def ner_query(rows=ROWS):
    return Query("ner", "extract", ("type", "entity"), list(rows), ["org", "LOC", "person"], "type")


def located_ner():
    return Query(
        "ner", "extract", ("type", "entity"), ROWS, ["org", "LOC", "person"], "type", offsets=[(i, i + 1) for i in range(5)]
    )


# --- the rules on fixed queries ---------------------------------------------------------------------------------------


def test_no_rules_keeps_gold():
    assert apply_rules([], ner_query()) == ROWS


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
        ("labels:subset", [("LOC", "Paris"), ("LOC", "Paris"), ("org", "acme")]),  # first 2 of 3 stated labels
        ("empty:none", ROWS),
    ],
)
def test_each_rule(rule, expected):
    assert apply_rules([rule], ner_query()) == expected


@pytest.mark.parametrize("rule", EMPTY_FORMS)
def test_empty_rules_state_a_form_and_keep_rows(rule):
    """The form itself is drawn by generation from the `forms` pool; the rule only says it states one."""
    assert RULES[rule].states_empty
    assert apply_rules([rule], ner_query()) == ROWS
    assert apply_rules([rule], ner_query([])) == []
    pools = load_phrasings(ROOT / "data/templates").pools
    for lang in ("en", "zh"):
        assert pools["empty", rule, lang]
        assert all("{empty}" in p.text for p in pools["rule", rule, lang])
    assert all(conflict(RULES[rule], RULES[other]) for other in EMPTY_FORMS)  # one empty form per instruction


def test_families_apply_in_order():
    # dup:once before order:label before case:upper, whatever order the ids are given in
    rows = apply_rules(["case:upper", "empty:na", "order:label", "dup:once"], ner_query())
    assert rows == [("ORG", "acme"), ("LOC", "Paris"), ("PERSON", "bob"), ("PERSON", "Alice")]
    assert {r.family for r in RULES.values()} == set(FAMILY_ORDER)
    ranks = [next(r.rank for r in RULES.values() if r.family == f) for f in FAMILY_ORDER]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)
    reordering = {RULES[r].family for r in DROPPING} | {"order"}  # offsets come before anything drops or reorders rows
    assert all(FAMILY_ORDER.index("offsets") < FAMILY_ORDER.index(f) for f in reordering)
    assert FAMILY_ORDER.index("subset") < FAMILY_ORDER.index("casing")
    assert FAMILY_ORDER.index("duplicates") < FAMILY_ORDER.index("limit") < FAMILY_ORDER.index("order")


def test_registry_rejects_inconsistent_rules():
    order, free = RULES["order:alpha"].rank, max(r.rank for r in RULES.values()) + 1

    class Odd(Rule):
        id, family, rank = "order:odd", "order", order + 1

    class Bad(Rule):
        id, family, rank, excludes = "x:bad", "x", free, frozenset({"no-such-family"})

    class Twin(Rule):
        id, family, rank = "x:twin", "x", order

    with pytest.raises(ValueError, match="has rank"):
        registry._registry([*RULES.values(), Odd()])
    with pytest.raises(ValueError, match="unknown families"):
        registry._registry([*RULES.values(), Bad()])
    with pytest.raises(ValueError, match="share a rank"):
        registry._registry([*RULES.values(), Twin()])
    with pytest.raises(ValueError, match="twice"):
        registry._registry([*RULES.values(), RULES["order:alpha"]])


def test_casing_only_touches_label_column():
    q = Query("re", "triples", ("head", "relation", "tail"), [("Ann", "Works-For", "ACME")], ["Works-For"], "relation")
    assert apply_rules(["case:lower"], q) == [("Ann", "works-for", "ACME")]


def test_rule_applicability():
    applicable = lambda q: {r for r in CHECKED if RULES[r].applies(q)}  # noqa: E731
    every = {"empty:none", "empty:na", "empty:sentence", "answer:only"}
    cls = Query("cls", "classify", ("label",), [("a",)], ["a", "b"], "label")
    assert applicable(cls) == every | {"order:alpha", "case:lower", "case:upper", "cls:label"}
    reasoned = Query("cls", "classify", ("label",), [("a",)], ["a", "b"], "label", {"reason": "What a is."})
    assert applicable(reasoned) == applicable(cls) | {"cls:reason"}
    multi = Query("cls", "multi", ("label",), [("a",)], ["a", "b"], "label")
    assert applicable(multi) == applicable(cls) - {"cls:label"} | {"labels:subset"}
    mrc = Query("mrc", "extractive", ("answer",), [("x",)], [], None, {"question": "?"})
    assert applicable(mrc) == every | {"span:verbatim", "mrc:shortest"}
    with_sentence = Query("mrc", "extractive", ("answer",), [("x",)], [], None, {"question": "?", "sentence": "An x."})
    assert applicable(with_sentence) == applicable(mrc) | {"mrc:sentence"}
    unanswerable = Query("mrc", "extractive", ("answer",), [], [], None, {"question": "?", "sentence": "An x."})
    assert "mrc:sentence" not in applicable(unanswerable)
    ner = Query("ner", "extract", ("type", "entity"), [("a", "x")], ["a", "b"], "type", offsets=[(0, 1)])
    assert "offsets:char" in applicable(ner)
    assert {"offsets:char", "nested:outermost"}.isdisjoint(
        applicable(Query("ner", "extract", ("type", "entity"), [], ["a"], "type"))
    )
    assert {"labels:subset", "limit:first"}.isdisjoint(applicable(Query("oie", "tuples", ("subject", "relation", "object"), [])))


def test_offsets_and_columns():
    text = "In Paris, then Lyon, then Paris."
    rows = [("LOC", "Paris"), ("LOC", "Lyon"), ("LOC", "Paris")]
    q = Query("ner", "extract", ("type", "entity"), rows, ["LOC"], "type", offsets=[(3, 8), (15, 19), (26, 31)])
    ids = ["case:lower", "order:alpha", "offsets:char"]
    assert rule_columns(ids, q.columns) == ("type", "entity", "start", "end")
    assert rule_columns(ids[::-1], q.columns) == rule_columns(ids, q.columns)
    assert rule_columns(["case:lower"], q.columns) == q.columns
    # alphabetical by the result itself; equal results stay in text order (not "26" before "3")
    assert apply_rules(ids, q) == [("loc", "Lyon", "15", "19"), ("loc", "Paris", "3", "8"), ("loc", "Paris", "26", "31")]
    assert all(text[int(r[2]) : int(r[3])] == r[1] for r in apply_rules(ids, q))


def test_limit_takes_the_first_in_text_order_before_sorting():
    q = ner_query()
    k = int(RULES["limit:first"].slots(q, "en")["k"])
    assert 2 <= k <= 5
    assert apply_rules(["limit:first"], q) == ROWS[:k]
    assert apply_rules(["limit:first", "order:alpha"], q) == sorted(ROWS[:k], key=lambda r: tuple(v.casefold() for v in r))
    assert apply_rules(["limit:first", "dup:once"], q) == list(dict.fromkeys(ROWS))[:k]  # the first k distinct results


def test_subset_slot_names_the_labels_in_each_language():
    q = Query("ner", "extract", ("type", "entity"), [], ["org", "LOC", "person", "date"], "type")
    assert RULES["labels:subset"].slots(q, "en") == {"subset": "org, LOC"}
    assert RULES["labels:subset"].slots(q, "zh") == {"subset": "org、LOC"}


def test_mrc_sentence_answers_with_the_sentence():
    q = Query(
        "mrc", "extractive", ("answer",), [("3 May",)], [], None, {"question": "When?", "sentence": " It opened on 3 May. "}
    )
    assert apply_rules(["mrc:sentence", "span:verbatim"], q) == [("It opened on 3 May.",)]
    assert apply_rules(["mrc:shortest"], q) == [("3 May",)]
    assert not RULES["mrc:sentence"].applies(Query("mrc", "extractive", ("answer",), [("x",)], [], None, {"sentence": "No."}))


@pytest.mark.parametrize("kind", ["ner", "re", "cls"])
def test_rules_map_real_gold_rows(records, kind):
    """Order rules permute, dup:once dedups, casing maps the label column: checked on real queries."""
    task = TASKS["re" if kind == "re" else kind]
    labels = sorted({lab for r in records[kind] for lab in task.labels_of(r)})
    for i, rec in enumerate(records[kind]):
        q = task.query(rec, labels, random.Random(i), task.subtasks[0])
        for rule in ("order:alpha", "order:label", "order:text"):
            if RULES[rule].applies(q):
                assert Counter(apply_rules([rule], q)) == Counter(q.rows)
        if RULES["dup:once"].applies(q):
            assert apply_rules(["dup:once"], q) == list(dict.fromkeys(q.rows))
        col = q.columns.index(q.label_column)
        for rule, case in (("case:upper", str.upper), ("case:lower", str.lower)):
            cased = apply_rules([rule], q)
            assert [r[col] for r in cased] == [case(r[col]) for r in q.rows]
            assert [r[:col] + r[col + 1 :] for r in cased] == [r[:col] + r[col + 1 :] for r in q.rows]
        if RULES["offsets:char"].applies(q):
            with_offsets = apply_rules(["offsets:char", "order:alpha"], q)
            assert all(rec["text"][int(r[-2]) : int(r[-1])] == r[1] for r in with_offsets)


def test_mrc_rules_on_real_records(records):
    stated = 0
    for i, rec in enumerate(records["mrc"]):
        q = TASKS["mrc"].query(rec, [], random.Random(i), "extractive")
        assert RULES["mrc:shortest"].applies(q)
        if RULES["mrc:sentence"].applies(q):
            stated += 1
            (sentence,) = apply_rules(["mrc:sentence"], q)[0]
            assert q.rows[0][0] in sentence
            assert sentence in rec["text"]
    assert stated > 0


SEVERAL = Query(
    "mrc", "extractive", ("answer",), [("3 May 1990",)], [], None,
    {"question": "When?", "sentence": "It opened on 3 May 1990.", ANSWERS_SLOT: '["3 May 1990", "May 1990", "1990 May"]'},
)  # fmt: skip


def mrc_instruction(query: Query, rules: list[str], answer: str, fmt: str = "json") -> dict:
    """An instruction record on `query` stating `rules`, whose assistant message answers `answer`."""
    meta = meta_record(
        task="mrc", subtask="extractive", format=fmt, rules=rules, columns=list(query.columns), slots=query.slots,
        gold=[list(r) for r in query.rows],
    )  # fmt: skip
    content = FORMATS[fmt].render([(answer,)], rule_columns(rules, query.columns))
    return {"messages": [{"role": "user", "content": "?"}, {"role": "assistant", "content": content}], "meta": meta}


def test_mrc_shortest_picks_the_shortest_gold_answer_the_first_of_equal_length():
    assert apply_rules(["mrc:shortest"], SEVERAL) == [("May 1990",)]
    assert apply_rules([], SEVERAL) == [("3 May 1990",)]  # the default: the first gold answer
    assert apply_rules(["mrc:shortest"], Query("mrc", "extractive", ("answer",), [], [], None, {})) == []
    assert conflict(RULES["mrc:shortest"], RULES["offsets:char"])  # the picked answer's span is not the query's


def test_gold_choices_are_every_gold_answer_unless_a_stated_rule_picks_one():
    assert [q.rows for q in gold_choices(SEVERAL, [])] == [[("3 May 1990",)], [("May 1990",)], [("1990 May",)]]
    assert [q.rows for q in gold_choices(SEVERAL, ["span:verbatim"])] == [[(a,)] for a in gold_answers(SEVERAL)]
    assert gold_choices(SEVERAL, ["mrc:shortest"]) == [SEVERAL]
    ner = Query("ner", "extract", ("type", "entity"), [("PER", "Ann")], ["PER"], "type")
    assert gold_choices(ner, []) == [ner]


@pytest.mark.parametrize("fmt", ["json", "lines", "yaml"])
def test_validation_accepts_any_gold_answer_where_no_rule_picks_one(fmt):
    for answer in gold_answers(SEVERAL):
        assert answer_problem(mrc_instruction(SEVERAL, [], answer, fmt)) is None
        assert checked_answer(mrc_instruction(SEVERAL, ["span:verbatim"], answer, fmt)) == ""
    assert answer_problem(mrc_instruction(SEVERAL, [], "3 May", fmt)) == "answer does not parse back to its gold annotation"


def test_validation_wants_the_answer_a_stated_rule_picks():
    assert answer_problem(mrc_instruction(SEVERAL, ["mrc:shortest"], "May 1990")) is None
    for other in ("3 May 1990", "1990 May"):
        assert answer_problem(mrc_instruction(SEVERAL, ["mrc:shortest"], other)) is not None
    assert answer_problem(mrc_instruction(SEVERAL, ["mrc:sentence"], "It opened on 3 May 1990.")) is None
    assert answer_problem(mrc_instruction(SEVERAL, ["mrc:sentence"], "May 1990")) is not None


def test_validation_of_several_gold_answers_on_a_real_record(records):
    rec = next(r for r in records["mrc"] if r["answers"] and " " in r["answers"][0]["text"])
    first = rec["answers"][0]
    short = {"text": first["text"][1:], "start": first["start"] + 1, "end": first["end"]}
    q = TASKS["mrc"].query({**rec, "answers": [first, short]}, [], random.Random(0), "extractive")
    assert answer_problem(mrc_instruction(q, [], first["text"])) is None
    assert answer_problem(mrc_instruction(q, [], short["text"])) is None
    assert answer_problem(mrc_instruction(q, ["mrc:shortest"], short["text"])) is None
    assert answer_problem(mrc_instruction(q, ["mrc:shortest"], first["text"])) is not None
    assert answer_problem(mrc_instruction(q, ["mrc:sentence"], q.slots["sentence"])) is None


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
    assert apply_rules(["nested:outermost"], query) == [("organisation", "University of Lyon Hospital")]
    assert apply_rules(["nested:all"], query) == query.rows
    assert apply_rules(["nested:outermost", "order:alpha"], query) == [("organisation", "University of Lyon Hospital")]
    assert apply_rules(["nested:outermost", "offsets:char"], query) == [
        ("organisation", "University of Lyon Hospital", "4", "31")
    ]
    flat = TASKS["ner"].query({**record, "entities": ents[2:]}, ["location"], random.Random(0), "by_type")
    assert not RULES["nested:outermost"].applies(flat)


# --- random queries ------------------------------------------------------------------------------------------------------


@dataclass
class Case:
    """A query and the text its offsets point into."""

    query: Query
    text: str = ""
    sentences: list[str] = field(default_factory=list)


ALPHABET = "ab Aé中"  # few letters, so spans repeat and nest
LABELS = ("person", "LOC", "Org", "misc", "Date", "drug_name", "Ève")  # distinct case-insensitively
words = st.text(ALPHABET, min_size=1, max_size=5)
schemas = st.lists(st.sampled_from(LABELS), min_size=1, max_size=len(LABELS), unique=True)  # in random order


@st.composite
def spans(draw, text):
    start = draw(st.integers(0, len(text) - 1))
    return start, draw(st.integers(start + 1, len(text)))


@st.composite
def ner_cases(draw):
    text, schema = draw(st.text(ALPHABET, min_size=1, max_size=30)), draw(schemas)
    ents = sorted(draw(st.lists(st.tuples(spans(text), st.sampled_from(schema)), max_size=8)), key=lambda x: (x[0][0], -x[0][1]))
    if draw(st.booleans()):
        label = schema[0]
        rows = [(text[s:e],) for (s, e), lab in ents if lab == label]
        return Case(Query("ner", "by_type", ("entity",), rows, [label], None, {"label": label}), text)
    rows = [(lab, text[s:e]) for (s, e), lab in ents]
    return Case(Query("ner", "extract", ("type", "entity"), rows, schema, "type", offsets=[se for se, _ in ents]), text)


@st.composite
def re_cases(draw):
    schema = draw(schemas)
    subtask = draw(st.sampled_from(["triples", "by_pair", "by_relation"]))
    if subtask == "by_pair":
        rows = [(lab,) for lab in draw(st.lists(st.sampled_from(schema), min_size=1, max_size=3))]
        return Case(Query("re", subtask, ("relation",), rows, schema, "relation", {"head": "a", "tail": "b"}))
    if subtask == "by_relation":
        rows = draw(st.lists(st.tuples(words, words), max_size=6))
        return Case(Query("re", subtask, ("head", "tail"), rows, [schema[0]], None, {"label": schema[0]}))
    rows = draw(st.lists(st.tuples(words, st.sampled_from(schema), words), max_size=6))
    return Case(Query("re", subtask, ("head", "relation", "tail"), rows, schema, "relation"))


@st.composite
def ee_cases(draw):
    schema = draw(schemas)
    rows = draw(st.lists(st.tuples(st.sampled_from(schema), words), max_size=6))
    if draw(st.booleans()):
        return Case(Query("ee", "arguments", ("role", "argument"), rows, schema, "role", {"event_type": "E", "trigger": "t"}))
    return Case(Query("ee", "triggers", ("type", "trigger"), rows, schema, "type"))


@st.composite
def mrc_cases(draw):
    sentences = draw(st.lists(st.text(ALPHABET + ".", min_size=1, max_size=12), min_size=1, max_size=4))
    text = " ".join(sentences)
    if draw(st.booleans()):
        return Case(Query("mrc", "extractive", ("answer",), [], [], None, {"question": "q"}), text, sentences)
    i = draw(st.integers(0, len(sentences) - 1))
    s, e = draw(spans(sentences[i]))
    base = sum(len(x) + 1 for x in sentences[:i])
    slots = {"question": "q"} | ({"sentence": sentences[i]} if draw(st.booleans()) else {})
    offsets = [(base + s, base + e)] if draw(st.booleans()) else []  # today's MRC has none; a future one may
    return Case(Query("mrc", "extractive", ("answer",), [(sentences[i][s:e],)], [], None, slots, offsets), text, sentences)


@st.composite
def cls_cases(draw):
    schema = draw(schemas)
    if draw(st.booleans()):
        return Case(Query("cls", "classify", ("label",), [(draw(st.sampled_from(schema)),)], schema, "label"))
    gold = draw(st.lists(st.sampled_from(schema), unique=True))
    return Case(Query("cls", "multi", ("label",), [(lab,) for lab in gold], schema, "label"))


@st.composite
def oie_cases(draw):
    return Case(
        Query("oie", "tuples", ("subject", "relation", "object"), draw(st.lists(st.tuples(words, words, words), max_size=5)))
    )


cases = st.one_of(ner_cases(), re_cases(), ee_cases(), mrc_cases(), cls_cases(), oie_cases())


def label_index(q: Query) -> int | None:
    return None if q.label_column is None else q.columns.index(q.label_column)


def folded(q: Query, row: tuple[str, ...]) -> tuple[str, ...]:
    """A row's own columns, label case-folded: what casing may change is all that is ignored."""
    col = label_index(q)
    return tuple(v.casefold() if i == col else v for i, v in enumerate(row[: len(q.columns)]))


def is_subsequence(part: list, whole: list) -> bool:
    rest = iter(whole)
    return all(any(x == y for y in rest) for x in part)


def check_obeys(case: Case, ids: list[str], rows: list[tuple[str, ...]]) -> None:
    """Every stated rule holds of `rows`, whatever else was stated with it."""
    q, width, col = case.query, len(case.query.columns), label_index(case.query)
    columns = rule_columns(ids, q.columns)
    assert all(len(r) == len(columns) for r in rows)
    assert columns[:width] == q.columns
    if "mrc:sentence" in ids:
        assert rows == [(q.slots["sentence"].strip(),)]
        assert q.rows[0][0] in rows[0][0]
        assert rows[0][0] in case.text
        return
    out, gold = [folded(q, r) for r in rows], [folded(q, r) for r in q.rows]
    assert not Counter(out) - Counter(gold)  # nothing invented; spans and every non-label column unchanged
    if not DROPPING & set(ids):
        assert Counter(out) == Counter(gold)
    if not {"case:upper", "case:lower"} & set(ids):
        assert not Counter(r[:width] for r in rows) - Counter(q.rows)
    check_order(q, ids, rows)
    if "dup:once" in ids:
        assert len(set(rows)) == len(rows)
    if "case:upper" in ids:
        assert col is not None
        assert all(r[col] == r[col].upper() for r in rows)
    if "case:lower" in ids:
        assert col is not None
        assert all(r[col] == r[col].lower() for r in rows)
    if "labels:subset" in ids:
        assert col is not None
        named = RULES["labels:subset"].slots(q, "en")["subset"].split(", ")
        assert len(named) == -(-len(q.labels) // 2)
        assert set(named) <= set(q.labels)
        assert all(r[col].casefold() in {lab.casefold() for lab in named} for r in rows)
    if "limit:first" in ids:
        k = int(RULES["limit:first"].slots(q, "en")["k"])
        assert 2 <= k <= 5
        assert len(rows) <= k
    if "offsets:char" in ids:
        check_offsets(case, ids, rows)


def check_order(q: Query, ids: list[str], rows: list[tuple[str, ...]]) -> None:
    """Rows sorted as the order rule says; equal results (and everything without an order rule) in text order."""
    width, col = len(q.columns), label_index(q)
    if "order:alpha" in ids:
        keys: list[tuple] = [tuple(v.casefold() for v in r[:width]) for r in rows]
    elif "order:label" in ids:
        assert col is not None
        keys = [([lab.casefold() for lab in q.labels].index(r[col].casefold()),) for r in rows]
    else:
        keys = [() for _ in rows]
        assert is_subsequence([folded(q, r) for r in rows], [folded(q, r) for r in q.rows])  # gold order kept
    if "offsets:char" in ids:  # ties in text order
        keys = [(*key, int(r[-2]), -int(r[-1])) for key, r in zip(keys, rows, strict=True)]
    assert keys == sorted(keys)


def check_offsets(case: Case, ids: list[str], rows: list[tuple[str, ...]]) -> None:
    """The added fields are the integer offsets of the row's own span, in the text."""
    q, width = case.query, len(case.query.columns)
    assert rule_columns(ids, q.columns)[-2:] == ("start", "end")
    located = [(int(r[-2]), int(r[-1])) for r in rows]
    assert [r[-2:] for r in rows] == [(str(s), str(e)) for s, e in located]  # plain integers
    for row, (s, e) in zip(rows, located, strict=True):
        assert case.text[s:e] == row[width - 1]  # the span column is the last of the query's own
        assert any(o == (s, e) and folded(q, g) == folded(q, row) for g, o in zip(q.rows, q.offsets, strict=True))
    if "nested:outermost" in ids:
        assert not any(o != se and o[0] <= se[0] and se[1] <= o[1] for se in located for o in q.offsets)


def compatible(ids: list[str]) -> bool:
    return not any(conflict(RULES[a], RULES[b]) for a, b in itertools.combinations(ids, 2))


@PROPERTY
@given(case=cases, data=st.data())
def test_any_compatible_combination_obeys_every_rule(case, data):
    """Every combination `pick_rules` could return (one rule per family at most, no excluded pair)."""
    q = case.query
    families: dict[str, list[str]] = {}
    for rule_id in sorted(CHECKED):
        if RULES[rule_id].applies(q):
            families.setdefault(RULES[rule_id].family, []).append(rule_id)
    ids: list[str] = []
    for family in data.draw(st.permutations(sorted(families))):
        options = [r for r in families[family] if compatible([*ids, r])]
        choice = data.draw(st.sampled_from([None, *options]))
        if choice is not None:
            ids.append(choice)
    rows = apply_rules(ids, q)
    assert apply_rules(ids[::-1], q) == rows
    check_obeys(case, ids, rows)
    assert q.rows == case.query.rows  # the query is left as it was


@PROPERTY
@given(case=cases, seed=st.integers(0, 2**32), most=st.integers(0, 8))
def test_pick_rules_gives_compatible_rules_that_apply(case, seed, most):
    q = case.query
    ids = pick_rules(q, Draws(seed), most)
    assert ids == pick_rules(q, Draws(seed), most)  # deterministic
    assert ids == sorted(ids)
    assert len(ids) <= most
    assert all(RULES[r].applies(q) for r in ids)
    assert len({RULES[r].family for r in ids}) == len(ids)
    assert compatible(ids)
    rows = apply_rules(ids, q)
    assert all(len(r) == len(rule_columns(ids, q.columns)) for r in rows)
    assert apply_rules(ids[::-1], q) == rows
    checked = pick_rules(q, Draws(seed), most, CHECKED)
    check_obeys(case, checked, apply_rules(checked, q))
    applicable = {RULES[r].family for r in RULES if RULES[r].applies(q)}
    if most >= len(applicable):  # nothing left out that could have been taken
        assert all(not compatible([*ids, r]) for r in RULES if RULES[r].applies(q) and r not in ids)


@PROPERTY
@given(case=cases)
def test_single_rules_are_exact(case):
    """Each rule alone: what it keeps is exactly what it says (nothing more is dropped)."""
    q, col = case.query, label_index(case.query)
    for rule_id in sorted(CHECKED):
        rule = RULES[rule_id]
        if not rule.applies(q):
            continue
        rows = apply_rules([rule_id], q)
        check_obeys(case, [rule_id], rows)
        if rule_id == "labels:subset":
            named = q.labels[: -(-len(q.labels) // 2)]
            assert rows == [r for r in q.rows if r[col] in named]
        elif rule_id == "limit:first":
            assert rows == q.rows[: int(rule.slots(q, "en")["k"])]
        elif rule_id == "dup:once":
            assert rows == list(dict.fromkeys(q.rows))
        elif rule_id == "nested:outermost":
            kept = [
                r
                for r, (s, e) in zip(q.rows, q.offsets, strict=True)
                if not any(o != (s, e) and o[0] <= s <= e <= o[1] for o in q.offsets)
            ]
            assert rows == kept
        elif rule_id == "offsets:char":
            assert [r[:-2] for r in rows] == q.rows
        elif rule_id in {"order:alpha", "order:label", "case:upper", "case:lower", "mrc:sentence"}:
            pass  # checked by check_obeys
        else:
            assert rows == q.rows, rule_id


# --- drawing rules -----------------------------------------------------------------------------------------------------


def test_excludes_is_honoured_both_ways_with_a_fallback():
    ner = located_ner()
    mrc = Query("mrc", "extractive", ("answer",), [("x",)], [], None, {"sentence": "An x."}, [(3, 4)])
    for q, excluded in ((ner, "dup:once"), (mrc, "mrc:sentence")):
        seen = Counter()
        for seed in range(300):
            ids = pick_rules(q, Draws(seed), 20)
            assert not {"offsets:char", excluded} <= set(ids)
            seen.update(ids)
        sibling = next(r for r, rule in RULES.items() if rule.family == RULES[excluded].family and r != excluded)
        assert seen["offsets:char"]
        assert seen[excluded]
        assert seen[sibling]


def test_nested_outermost_is_never_stated_with_a_label_subset():
    q = located_ner()
    for seed in range(300):
        assert not {"nested:outermost", "labels:subset"} <= set(pick_rules(q, Draws(seed), 20))


def sample_queries() -> list[Query]:
    ner = located_ner()
    return [
        ner,
        ner_query(),
        Query("mrc", "extractive", ("answer",), [("x",)], [], None, {"question": "?", "sentence": "An x."}),
        Query("cls", "multi", ("label",), [("a",)], ["a", "b", "c"], "label"),
        Query("cls", "classify", ("label",), [("b",)], ["a", "b", "c"], "label", {"reason": "What b is."}),
        Query("oie", "tuples", ("subject", "relation", "object"), [("a", "b", "c")]),
        Query("re", "triples", ("head", "relation", "tail"), [("Ann", "works_for", "ACME")], ["works_for", "born"], "relation"),
        Query("ee", "triggers", ("type", "trigger"), [("Attack", "fired")], ["Attack", "Meet"], "type"),
    ]


def all_draws(*, allowed=None):
    return [pick_rules(q, Draws(s), m, allowed) for q in sample_queries() for s in range(50) for m in (1, 3, 20)]


def test_registering_a_rule_changes_only_the_draws_that_take_it(monkeypatch):
    free = max(r.rank for r in RULES.values()) + 1

    class Everywhere(Rule):  # a new family
        id, family, rank = "new:everywhere", "new", free

    class NewOrder(Rule):  # a new rule of a family that has some
        id, family, rank = "order:new", "order", RULES["order:alpha"].rank

    class NotHere(Rule):
        id, family, rank = "later:never", "later", free + 1
        tasks: ClassVar[frozenset[str]] = frozenset({"nothing"})

    before = all_draws()
    for rule in (Everywhere(), NewOrder(), NotHere()):
        monkeypatch.setitem(registry.RULES, rule.id, rule)
    after = all_draws()
    new = {Everywhere.id, NewOrder.id}
    assert all(b == a for b, a in zip(before, after, strict=True) if not new & set(a))
    assert {r for a in after for r in a} >= new
    assert NotHere.id not in {r for a in after for r in a}


def test_only_allowed_rules_are_picked_and_a_rule_switched_off_changes_only_its_draws():
    assert all_draws(allowed=set(RULES)) == all_draws()
    for off in RULES:
        allowed = set(RULES) - {off}
        for every, some in zip(all_draws(), all_draws(allowed=allowed), strict=True):
            assert off not in some
            if off not in every:
                assert some == every
    assert pick_rules(located_ner(), Draws(0), 20, set()) == []


def test_rules_indexed_by_task_pick_what_every_rule_picks():
    """`for_task` leaves out only rules whose `tasks` bar the query's task: the picks stay those over every rule."""
    for q in sample_queries():
        indexed = for_task(RULES, q.task)
        assert all(RULES[r].applies(q) <= (r in indexed) for r in RULES)
        for seed, most in itertools.product(range(50), (1, 3, 20)):
            assert pick_rules(q, Draws(seed), most, indexed) == pick_rules(q, Draws(seed), most)


def first_compatible(query, draws, most, allowed=None):
    """`pick_rules` spelled out: each family by priority gives its first rule that conflicts with none taken."""
    candidates = {}
    for rule in RULES.values():
        if (allowed is None or rule.id in allowed) and rule.applies(query):
            candidates.setdefault(rule.family, []).append(rule)
    chosen = []
    for family in draws.order("rules:family", candidates):
        ranked = draws.order("rules:rule", candidates[family], key=lambda r: r.id)
        pick = next((r for r in ranked if not any(conflict(r, c) for c in chosen)), None)
        if pick is not None and len(chosen) < most:
            chosen.append(pick)
    return sorted(r.id for r in chosen)


def test_pick_rules_takes_the_first_rule_of_each_family_that_conflicts_with_none_taken():
    for q in sample_queries():
        for seed, most in itertools.product(range(100), (1, 2, 3, 20)):
            assert pick_rules(q, Draws(seed), most) == first_compatible(q, Draws(seed), most)


def test_pick_rules_covers_every_rule_family_and_size():
    seen, sizes = Counter(), Counter()
    for q in sample_queries():
        for seed in range(200):
            ids = pick_rules(q, Draws(seed), 3)
            seen.update(ids)
            sizes[len(ids)] += 1
    assert set(seen) == {r for r, rule in RULES.items() if any(rule.applies(q) for q in sample_queries())}
    assert set(sizes) == {3}


# --- phrasings ---------------------------------------------------------------------------------------------------------

ASCII_PUNCT = re.compile(r"[,;:!?()]")


def test_every_rule_has_phrasings_that_fill():
    phrasings = load_phrasings(ROOT / "data/templates")
    for rule_id, rule in RULES.items():
        q = next((q for q in sample_queries() if rule.applies(q)), None)  # None: a rule for queries not sampled, pools only
        for lang in ("en", "zh"):
            pool = phrasings.pools.get(("rule", rule_id, lang), [])
            assert len(pool) >= 3, (rule_id, lang)
            assert len({p.text for p in pool}) == len(pool)
            forms = [f.text for f in phrasings.pools.get(("empty", rule_id, lang), [])] if rule.states_empty else [""]
            assert forms, (rule_id, lang)
            for phrase, form in itertools.product(pool, forms) if q else ():
                slots = rule.slots(q, lang) | ({"empty": form} if rule.states_empty else {})
                filled = phrase.text.format(**slots)
                assert "{" not in filled, (rule_id, phrase.text)
                assert "}" not in filled, (rule_id, phrase.text)
                if lang == "zh":
                    assert not ASCII_PUNCT.search(re.sub(r"\{\w+\}", "", phrase.text)), phrase.text  # full-width punctuation


def test_phrasing_files_name_registered_rules_of_their_family():
    for path in sorted((ROOT / "data/templates/rules").glob("*.yaml")):
        for rule_id in yaml.safe_load(path.read_text(encoding="utf-8")):
            assert rule_id in RULES, (path.name, rule_id)
            assert RULES[rule_id].family == path.stem, (path.name, rule_id)


# --- configuration ------------------------------------------------------------------------------------------------------


def test_an_unknown_rule_in_the_config_is_refused_with_a_hint():
    with pytest.raises(ConfigError) as raised:
        check_params({"generate": {"rules": ["order:alpha", "order:alpah"]}})
    assert "generate.rules[1]: 'order:alpah' is not one of [" in str(raised.value)
    assert "did you mean 'order:alpha'?" in str(raised.value)
    check_params({"generate": {"rules": sorted(RULES)}})
    check_params({"generate": {"rules": []}})  # no rule stated at all
