from __future__ import annotations

from rapidfuzz import fuzz
from test_dedup import SEED, qa, record

from hum.answers import answer_problem
from hum.dedup import Dedup, Parts
from hum.dedup.conflicts import rendered
from hum.dedup.similar import same_words

ASK = "List every entity of type person or location, with its type."
PERSON, BOWL, PASADENA = ["person", "Taylor Swift"], ["location", "Rose Bowl"], ["location", "Pasadena"]
SPANS = {"Taylor Swift": [0, 12], "Rose Bowl": [39, 48], "Pasadena": [52, 60]}


def ner(rid, *rows, fmt="json", rules=(), ask=ASK, **meta):
    """An NER record whose answer is rendered from its gold rows, exactly as `generate` renders it."""
    fields = {
        "task": "ner", "subtask": "extract", "columns": ["type", "entity"], "label_column": "type",
        "labels": ["person", "location"], "format": fmt, "rules": list(rules), "empty": None, "slots": {},
        "gold": [list(r) for r in rows], "offsets": [SPANS[r[1]] for r in rows],
    }  # fmt: skip
    fields.update(meta)
    return record(rid, SEED, ask, rendered(fields), **fields)


def run(records, policy):
    step = Dedup(conflicts=policy)
    kept, removed = step(records)
    return step, kept, {r["record"]["id"]: (r["reason"], r["duplicate_of"]) for r in removed}


def test_spans_of_the_seed_are_right():
    for entity, (start, end) in SPANS.items():
        assert SEED[start:end] == entity


def test_keep_first_keeps_the_first_answer_and_reports_the_conflict():
    a, b = ner("a", PERSON), ner("b", PERSON, BOWL)
    step, kept, removed = run([a, b, ner("a2", PERSON)], "keep_first")
    assert kept == [a]
    assert removed == {"b": ("conflicting answer", "a"), "a2": ("exact duplicate", "a")}
    assert step.conflicts == [
        {
            "action": "keep_first",
            "kind": "same user message",
            "ids": ["a", "b"],
            "answers": [a["messages"][-1]["content"], b["messages"][-1]["content"]],
            "written": a["messages"][-1]["content"],
        }
    ]
    assert step.stats["conflicts: same user message"] == 1
    assert step.stats["conflict actions: keep_first"] == 1


def test_drop_both_removes_every_answer_of_the_conflict():
    step, kept, removed = run([ner("a", PERSON), ner("x", PERSON, ask="Find the persons."), ner("b", PASADENA)], "drop_both")
    assert [r["id"] for r in kept] == ["x"]
    assert removed == {"a": ("conflicting answer", "b"), "b": ("conflicting answer", "a")}
    assert [(c["action"], c["ids"], c["written"]) for c in step.conflicts] == [("drop_both", ["a", "b"], None)]


def test_merge_takes_the_union_of_gold_rows_and_renders_it_again():
    records = [ner("a", BOWL, fmt="table"), ner("b", PERSON, PASADENA, fmt="table"), ner("c", PERSON, BOWL, fmt="table")]
    step, kept, removed = run(records, "merge")
    assert [r["id"] for r in kept] == ["a"]
    merged = kept[0]
    assert merged["meta"]["gold"] == [PERSON, BOWL, PASADENA]  # in text order, by offsets
    assert merged["meta"]["offsets"] == [SPANS["Taylor Swift"], SPANS["Rose Bowl"], SPANS["Pasadena"]]
    assert answer_problem(merged) is None  # validate accepts it: the answer parses back to the merged gold
    assert merged["messages"][:2] == records[0]["messages"][:2]
    assert removed == {"b": ("merged into a conflicting record", "a"), "c": ("merged into a conflicting record", "a")}
    assert [(c["action"], c["ids"]) for c in step.conflicts] == [("merge", ["a", "b"]), ("merge", ["a", "c"])]
    assert {c["written"] for c in step.conflicts} == {merged["messages"][-1]["content"]}
    assert step.stats["conflict actions: merge"] == 2


def test_merge_applies_the_stated_rules_to_the_union():
    rules = ["order:alpha", "offsets:char"]
    a, b = ner("a", PERSON, BOWL, rules=rules), ner("b", PASADENA, rules=rules)
    _, kept, _ = run([a, b], "merge")
    assert answer_problem(kept[0]) is None
    assert '"Pasadena"' in kept[0]["messages"][-1]["content"]


def test_merge_falls_back_to_keep_first_where_answers_are_no_sets():
    a, b = qa("a", "Who led the team in tackles?", "Kuechly"), qa("b", "Who led the team in tackles?", "Luke Kuechly")
    step, kept, removed = run([a, b], "merge")
    assert kept == [a]
    assert removed == {"b": ("conflicting answer", "a")}
    assert step.conflicts[0]["action"] == "keep_first (merge not possible: mrc answers are not sets of rows)"
    assert step.stats["conflict actions: keep_first"] == 1


def test_merge_falls_back_when_the_formats_differ():
    step, kept, _ = run([ner("a", PERSON, fmt="json"), ner("b", BOWL, fmt="json", columns=["label", "entity"])], "merge")
    assert [r["id"] for r in kept] == ["a"]
    assert "differ in columns" in step.conflicts[0]["action"]


def test_a_near_instruction_with_another_answer_is_a_conflict():
    a = ner("a", PERSON, ask="List every entity of type person or location with its type")
    b = ner("b", BOWL, PASADENA, ask="List every entity of type persons or locations with its type")
    step, kept, removed = run([a, b], "keep_first")
    assert kept == [a]
    assert removed == {"b": ("conflicting answer", "a")}
    assert step.conflicts[0]["kind"] == "same input, near instruction"


def test_a_different_question_under_a_long_shared_description_is_no_duplicate_nor_conflict():
    long_ask = "Answer the question with the shortest span of the passage that answers it; " * 4
    a = qa("a", "Who founded the club, Ann?", "Ann Smith and her brothers", ask=long_ask)
    b = qa("b", "Who founded the club, Bob?", "Bob", ask=long_ask)
    assert fuzz.ratio(*(Parts.of(r).instruction for r in (a, b))) >= 95  # near by ratio, yet another question
    assert not same_words("who founded the club ann", "who founded the club bob")
    assert same_words("list every entity of type person", "list every entity of the type persons")
    assert same_words("write an e mail", "write an email")
    assert not same_words("founded in 1990", "founded in 1991")
    assert not same_words("list every entity of type person", "list every entity of type person in the first sentence")
    step, kept, _ = run([a, b], "drop_both")
    assert [r["id"] for r in kept] == ["a", "b"]
    assert step.conflicts == []
