"""Rows in the file's own shape: token offsets for every span task, references by index, id or text, column paths."""

from __future__ import annotations

import pytest

from hum.errors import HumInputError
from hum.normalise import FieldError, normalise
from hum.prepare import check_config

CFG = {"name": "d", "lang": "en"}


def run(task, row, **cfg):
    return normalise(row, CFG | {"task": task} | cfg, "train-0")


def spans(items):
    return [(s["text"], s["start"], s["end"]) for s in items]


def test_event_token_offsets():
    row = {
        "tokens": ["Rebels", "attacked", "the", "town", "."],
        "events": [
            {"type": "Attack", "trigger": {"start": 1, "end": 2}, "arguments": [{"role": "Target", "start": 2, "end": 4}]}
        ],
    }
    ev = run("ee", row)["events"][0]
    assert (spans([ev["trigger"]]), spans(ev["arguments"])) == ([("attacked", 7, 15)], [("the town", 16, 24)])


@pytest.mark.parametrize(
    ("cfg", "text", "start"),
    [({"lang": "zh"}, "叛军袭击了城镇", 2), ({"lang": "ja"}, "叛军袭击了城镇", 2), ({"token_sep": "_"}, "叛军_袭击_了_城镇", 3)],
)
def test_token_join_rule(cfg, text, start):
    row = {"tokens": ["叛军", "袭击", "了", "城镇"], "entities": [{"start": 1, "end": 2, "type": "V"}]}
    rec = run("ner", row, **cfg)
    assert (rec["text"], spans(rec["entities"])) == (text, [("袭击", start, start + 2)])


def test_tokens_are_found_in_a_given_text_whatever_its_spacing():
    row = {
        "text": "Dr.\u00a0Ann  met Bob,\n in Paris.",
        "tokens": ["Dr.", "\u00a0", "Ann", "met", "Bob", ",", "in", "Paris", "."],
        "entities": [{"start": 0, "end": 3, "type": "PER"}, {"start": 7, "end": 8, "type": "LOC"}],
    }
    assert spans(run("ner", row)["entities"]) == [("Dr.\u00a0Ann", 0, 7), ("Paris", 22, 27)]
    with pytest.raises(FieldError) as info:
        run("ner", row | {"tokens": ["Dr.", "Bob"], "entities": []})
    assert (info.value.field, info.value.problem) == (
        "tokens[1]",
        "token 'Bob' is not in the text at character 3 ('\\xa0Ann  met Bob,\\n in P')",
    )


def test_mrc_token_answers_and_every_gold_answer_kept():
    row = {
        "tokens": ["Ann", "was", "born", "in", "Paris", "."],
        "question": "Where?",
        "answers": [{"start": 4, "end": 5}, {"start": 3, "end": 5}],
    }
    rec = run("mrc", row)
    assert (rec["text"], spans(rec["answers"])) == ("Ann was born in Paris .", [("Paris", 16, 21), ("in Paris", 13, 21)])
    squad = {"context": "Ann in Paris", "question": "Where?", "answers": {"text": ["Paris", "in Paris"], "answer_start": [7, 4]}}
    assert spans(run("mrc", squad)["answers"]) == [("Paris", 7, 12), ("in Paris", 4, 12)]


ENTITIES = [
    {"id": "T1", "start": 0, "end": 3, "text": "Ann"},
    {"id": "T2", "start": 8, "end": 11, "text": "Bob"},
    {"id": "T3", "start": 16, "end": 19, "text": "Ann"},
]


@pytest.mark.parametrize(
    "relation",
    [
        {"type": "knows", "head": 0, "tail": 1},
        {"type": "knows", "head_id": "T1", "tail_id": "T2"},
        {"type": "knows", "head": {"start": 0, "end": 3, "text": "Ann"}, "tail": "Bob"},
    ],
)
def test_relation_ends_by_index_id_text_or_span(relation):
    rec = run("re", {"text": "Ann met Bob and Ann.", "entities": ENTITIES, "relations": [relation]})
    assert [(r["head"]["start"], r["tail"]["start"]) for r in rec["relations"]] == [(0, 8)]


@pytest.mark.parametrize(
    ("relation", "field", "problem"),
    [
        ({"head": 3, "tail": 1}, "relations[0].head", "entity index 3 is outside the record's 3 entities"),
        ({"head": -1, "tail": 1}, "relations[0].head", "entity index -1 is outside the record's 3 entities"),
        ({"head_id": "T9", "tail": 1}, "relations[0].head_id", "'T9' is the id of none of the record's entities"),
        (
            {"head": "Ann", "tail": 1},
            "relations[0].head",
            "'Ann' is the text of 2 entities at different places; give its index or id",
        ),
        ({"head": True, "tail": 1}, "relations[0].head", "expected an entity index, id, text or span, got True"),
        ({"tail": 1}, "relations[0].head", "missing"),
    ],
)
def test_a_bad_reference_names_its_field(relation, field, problem):
    with pytest.raises(FieldError) as info:
        run("re", {"text": "Ann met Bob and Ann.", "entities": ENTITIES, "relations": [{"type": "knows", **relation}]})
    assert (info.value.field, info.value.problem) == (field, problem)


def test_event_arguments_by_entity_index_id_or_text():
    row = {
        "text": "Ann met Bob and Ann.",
        "entities": ENTITIES,
        "events": [
            {
                "type": "Meet",
                "trigger": {"start": 4, "end": 7, "text": "met"},
                "arguments": [{"role": "A", "entity": 0}, {"role": "B", "entity_id": "T2"}, {"role": "C", "entity": "Bob"}],
            }
        ],
    }
    assert [(a["role"], a["start"]) for a in run("ee", row)["events"][0]["arguments"]] == [("A", 0), ("B", 8), ("C", 8)]


def test_columns_nested_paths_lists_and_constants():
    row = {
        "passage": {"body": "Ann met Bob."},
        "q": "Who?",
        "annotations": {"answer": [{"text": "Ann", "answer_start": 0}]},
    }
    cfg = {"columns": {"passage.body": "context", "q": "question", "annotations.answer": "answers"}}
    assert spans(run("mrc", row, **cfg)["answers"]) == [("Ann", 0, 3)]
    events = {"text": "Ann met Bob.", "events": [{"subtype": "Meet", "trigger": {"start": 4, "end": 7, "text": "met"}}]}
    cfg = {"columns": {"events.*.subtype": "events.*.type"}, "constants": {"events.*.arguments": []}}
    assert run("ee", events, **cfg)["events"][0]["type"] == "Meet"
    flat = {"text": "I lost my card", "answers.text": "lost_card"}
    assert run("cls", flat, columns={"answers.text": "label"})["labels"] == ["lost_card"]
    assert run("cls", {"text": "t"}, constants={"label": "positive"})["labels"] == ["positive"]
    assert run("cls", {"a": "t", "b": "x"}, columns={"a": "label", "b": "text"}) == run("cls", {"text": "t", "label": "x"}) | {
        "text": "x", "labels": ["t"]
    }  # fmt: skip


OWN = "the row has its own value; constants would set 'b'"


@pytest.mark.parametrize(
    ("row", "cfg", "field", "problem"),
    [
        ({"text": "t"}, {"columns": {"category": "label"}}, "label", "missing"),
        ({"text": "t", "label": "a"}, {"constants": {"label": "b"}}, "label", OWN),
        (
            {"text": "x", "events": [{"trigger": {"start": 0, "end": 1, "text": "x"}, "arguments": []}]},
            {"columns": {"events.*.subtype": "events.*.type"}},
            "events[0].type",
            "missing",
        ),
    ],
)
def test_an_unmapped_field_is_an_error_naming_it_never_a_default(row, cfg, field, problem):
    task = "ee" if "events" in row else "cls"
    with pytest.raises(FieldError) as info:
        run(task, row, **cfg)
    assert (info.value.field, info.value.problem) == (field, problem)


@pytest.mark.parametrize(
    ("cfg", "field"),
    [
        ({"columns": {"events.*.subtype": "type"}}, "columns.events.*.subtype"),
        ({"columns": {"a..b": "c"}}, "columns.a..b"),
        ({"constants": {"events.*": 1}}, "constants.events.*"),
    ],
)
def test_column_paths_that_fit_no_row_are_config_errors(cfg, field):
    with pytest.raises(HumInputError) as info:
        check_config({"name": "d", "task": "ee", **cfg})
    assert (info.value.path, info.value.where, info.value.field) == ("params.yaml", "datasets.d", field)
