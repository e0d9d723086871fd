from __future__ import annotations

import itertools
import unicodedata

import pytest

from conftest import DATA
from hum.io import read_jsonl
from hum.normalise import (
    FieldError,
    bio_entities,
    classification,
    label,
    mrc,
    normalise,
    offset,
    relation,
)
from hum.seedformats.source import Source

TOKENS = list("abcdef")


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        (["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"], [(0, 2, "PER"), (3, 4, "LOC"), (4, 6, "LOC")]),  # IOB2
        (["I-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC"], [(0, 2, "PER"), (3, 5, "LOC"), (5, 6, "LOC")]),  # IOB1
        (["S-PER", "B-LOC", "I-LOC", "E-LOC", "O", "S-ORG"], [(0, 1, "PER"), (1, 4, "LOC"), (5, 6, "ORG")]),  # BIOES
        (["B-PER", "I-LOC", "O", "O", "O", "O"], [(0, 1, "PER"), (1, 2, "LOC")]),  # type change starts a new span
        (["O", "O", "O", "O", "B-creative-work", "I-creative-work"], [(4, 6, "creative-work")]),
        (["O"] * 6, []),
    ],
)
def test_bio_entities(tags, spans):
    assert bio_entities(TOKENS, tags) == spans


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        (["O", "X-PER", "O", "O", "O", "O"], "tag 'X-PER' at token 1 is not O or B-/I-/E-/S-<type>"),
        (["B-", "O", "O", "O", "O", "O"], "tag 'B-' at token 0 is not O or B-/I-/E-/S-<type>"),
        (["O", "O", "O", "O", "O", "PER"], "tag 'PER' at token 5 is not O or B-/I-/E-/S-<type>"),
        (["O"] * 5, "5 tags for 6 tokens"),
    ],
)
def test_bio_entities_invalid(tags, problem):
    with pytest.raises(FieldError) as info:
        bio_entities(TOKENS, tags)
    assert (info.value.field, info.value.problem) == ("tags", problem)
    assert str(info.value) == f"field 'tags': {problem}"


def test_joined_tokens_offsets():
    source = Source.of({"tokens": ["New", "York", "😀", "北京"]}, {})
    assert (source.text, source.starts) == ("New York 😀 北京", [0, 4, 9, 11])
    assert all(source.text[o : o + len(t)] == t for o, t in zip(source.starts, ["New", "York", "😀", "北京"], strict=True))
    assert source.token_span(0, 2, "entities[0]") == {"start": 0, "end": 8, "text": "New York"}
    with pytest.raises(FieldError) as info:
        source.token_span(2, 5, "entities[0]")
    assert (info.value.field, info.value.problem) == ("entities[0]", "token span [2, 5) outside the 4 tokens")


def test_ner_from_tags_real():
    row = next(r for r in read_jsonl(DATA / "ner/wnut17_dev.jsonl") if len(r["entities"]) >= 2)
    out = normalise({"tokens": row["tokens"], "tags": row["tags"]}, {"name": "w", "task": "ner", "lang": "en"}, 7)
    assert out["id"] == "w-7"
    assert (out["dataset"], out["task"], out["lang"]) == ("w", "ner", "en")
    assert [(e["text"], e["type"]) for e in out["entities"]] == [(e["text"], e["type"]) for e in row["entities"]]
    assert all(out["text"][e["start"] : e["end"]] == e["text"] for e in out["entities"])


def test_relation_semeval_by_entity_id():
    rows = list(itertools.islice(read_jsonl(DATA / "re/semeval2010_task8_test.jsonl"), 50))
    row = rows[0]
    out = relation(row, {"no_relation": ["Other"]})
    assert out["relations"] == [
        {
            "type": "Message-Topic",
            "head": {"start": 16, "end": 22, "text": "audits"},
            "tail": {"start": 34, "end": 39, "text": "waste"},
        }
    ]
    others = [r for r in rows if r["relations"][0]["type"] == "Other"]
    assert others
    assert all(relation(r, {"no_relation": ["Other"]})["relations"] == [] for r in others)


def test_relation_fewrel_token_spans():
    row = next(read_jsonl(DATA / "re/fewrel_val_wiki.jsonl"))
    out = relation(row, {})
    assert out["relations"] == [
        {
            "type": "crosses",
            "head": {"start": 45, "end": 56, "text": "toll bridge"},
            "tail": {"start": 66, "end": 78, "text": "Wabash River"},
        }
    ]
    assert out["text"][45:56] == "toll bridge"


@pytest.mark.parametrize("name", ["re/semeval2010_task8_test.jsonl", "re/fewrel_val_wiki.jsonl"])
def test_relation_offsets_hold_on_real_files(name):
    for row in itertools.islice(read_jsonl(DATA / name), 300):
        out = relation(row, {"no_relation": ["Other"]})
        for rel in out["relations"]:
            for end in ("head", "tail"):
                assert out["text"][rel[end]["start"] : rel[end]["end"]] == rel[end]["text"]


def test_relation_unknown_entity():
    row = {
        "text": "a b",
        "entities": [{"start": 0, "end": 1, "text": "a"}],
        "relations": [{"head": "a", "tail": "z", "type": "r"}],
    }
    with pytest.raises(FieldError) as info:
        relation(row, {})
    assert (info.value.field, info.value.problem) == ("relations[0].tail", "'z' is none of the record's entities")


def test_mrc_and_classification():
    row = next(read_jsonl(DATA / "mrc/xquad_en_squad11dev_subset.jsonl"))
    out = mrc(row, {})
    assert out["answers"] == [{"text": "308", "start": 34, "end": 37}]
    assert out["question"] == "How many points did the Panthers defense surrender?"
    assert mrc({"context": "c", "question": "q", "answers": []}, {})["answers"] == []
    assert classification({"text": "t", "label": 3}, {}) == {"text": "t", "labels": ["3"], "multi_label": False}
    multi = {"multi_label": True}
    assert classification({"text": "t", "labels": ["a", "b"]}, multi) == {"text": "t", "labels": ["a", "b"], "multi_label": True}
    assert classification({"text": "t", "labels": []}, multi) == {"text": "t", "labels": [], "multi_label": True}
    with pytest.raises(FieldError, match="field 'labels': 2 labels in a single-label dataset"):
        classification({"text": "t", "labels": ["a", "b"]}, {})
    with pytest.raises(FieldError, match="field 'label': missing"):
        classification({"text": "t"}, {})


def test_normalise_renames_columns_and_keeps_id():
    cfg = {"name": "b77", "task": "cls", "lang": "en", "columns": {"category": "label"}}
    assert normalise({"text": "hi", "category": "card_arrival"}, cfg, 4) == {
        "id": "b77-4",
        "dataset": "b77",
        "task": "cls",
        "lang": "en",
        "text": "hi",
        "labels": ["card_arrival"],
        "multi_label": False,
    }
    assert normalise({"id": 12, "text": "hi", "label": "x"}, cfg, 0)["id"] == "12"


def test_chinese_tokens_join_without_spaces():
    row = {"tokens": ["北", "京", "很", "大"], "tags": ["B-LOC", "I-LOC", "O", "O"]}
    out = normalise(row, {"name": "zh_ner", "task": "ner", "lang": "zh"}, "train-0")
    assert out["text"] == "北京很大"
    assert out["entities"] == [{"start": 0, "end": 2, "text": "北京", "type": "LOC"}]
    assert out["id"] == "zh_ner-train-0"


@pytest.mark.parametrize(
    ("entities", "field", "problem"),
    [
        ([{"start": 0, "end": 3, "text": "Ann"}], "entities[0].type", "missing"),
        (
            [{"start": "0", "end": 3, "text": "Ann", "type": "PER"}],
            "entities[0]",
            "start and end must be integers, got '0' and 3",
        ),
        ([{"start": 0, "end": 3, "type": "PER"}], "entities[0].text", "missing"),
        ([{"text": "Ann", "type": "PER"}], "entities[0].start", "missing"),
        ("Ann", "entities", "expected a list, got 'Ann'"),
    ],
)
def test_char_span_entities_are_checked(entities, field, problem):
    with pytest.raises(FieldError) as info:
        normalise({"text": "Ann ran.", "entities": entities}, {"name": "d", "task": "ner", "lang": "en"}, "train-0")
    assert (info.value.field, info.value.problem) == (field, problem)


@pytest.mark.parametrize("value", [True, False, float("inf"), float("nan"), 1.5, "3", None])
def test_offset_rejects_non_integers(value):
    with pytest.raises(FieldError) as info:
        offset(value, "start")
    assert info.value.problem == f"offset must be an integer, got {value!r}"


def test_offset_takes_integers():
    assert (offset(3, "start"), offset(4.0, "start")) == (3, 4)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (float("nan"), "label must be text, got nan"),
        (True, "label must be text, got True"),
        ("", "label '' is empty"),
        ("a|b", "label 'a|b' contains '|'"),
        ("a\r\nb", "label 'a\\r\\nb' contains a line break"),
        ("a, b", "label 'a, b' contains ', '"),
    ],
)
def test_label_rejects(value, problem):
    with pytest.raises(FieldError) as info:
        label(value, "labels")
    assert info.value.problem == problem


def test_label_keeps_valid_text_and_class_ids():
    assert (label("B-PER,x", "t"), label(7, "t", numbers=True)) == ("B-PER,x", "7")


NFD_CAFE = unicodedata.normalize("NFD", "Café")


@pytest.mark.parametrize(
    ("task", "row"),
    [
        ("ner", {"text": f"{NFD_CAFE} Ann", "entities": [{"start": 6, "end": 9, "text": "Ann", "type": "PER"}]}),
        ("ner", {"tokens": [NFD_CAFE, "Ann"], "tags": ["O", "B-PER"]}),
        ("re", {"text": f"{NFD_CAFE} Ann", "entities": [{"start": 6, "end": 9, "text": "Ann"}], "relations": []}),
        ("mrc", {"context": f"{NFD_CAFE} Ann", "question": "Who?", "answers": [{"text": "Ann", "answer_start": 6}]}),
    ],
)
def test_normalise_gives_nfc_text_with_offsets_on_the_same_characters(task, row):
    out = normalise(row, {"name": "d", "task": task, "lang": "en"}, "train-0")
    assert out["text"] == "Café Ann"
    spans = out["answers"] if task == "mrc" else out["entities"]
    assert [(s["start"], s["end"], s["text"]) for s in spans] == [(5, 8, "Ann")]


def test_normalise_gives_lf_line_ends_and_nfc_strings():
    cfg = {"name": "d", "lang": "en"}
    ner = normalise(
        {"text": "one\r\ntwo Ann", "entities": [{"start": 9, "end": 12, "text": "Ann", "type": NFD_CAFE}]},
        cfg | {"task": "ner"},
        0,
    )
    assert (ner["text"], ner["entities"]) == ("one\ntwo Ann", [{"start": 8, "end": 11, "text": "Ann", "type": "Café"}])
    cls = normalise({"text": f"at the {NFD_CAFE}\r", "label": NFD_CAFE}, cfg | {"task": "cls"}, 0)
    assert (cls["text"], cls["labels"]) == ("at the Café\n", ["Café"])
    oie = normalise({"sentence": f"{NFD_CAFE} opens", "tuples": [[NFD_CAFE, "opens"]]}, cfg | {"task": "oie"}, 0)
    assert (oie["text"], oie["tuples"]) == ("Café opens", [["Café", "opens"]])
    general = normalise(
        {"instruction": "Say it", "instances": [{"input": "", "output": f"{NFD_CAFE}\r\n"}]}, cfg | {"task": "general"}, 0
    )
    assert general["output"] == "Café\n"


def test_an_mrc_question_is_put_on_one_line():
    row = {"context": "Ann met Bob", "question": " Who\r\nmet   Bob?\n", "answers": [{"text": "Ann", "answer_start": 0}]}
    assert mrc(row, {})["question"] == "Who met Bob?"


@pytest.mark.parametrize("question", ["\r\n", " \n\t "])
def test_a_question_of_line_breaks_only_is_still_empty(question):
    with pytest.raises(FieldError) as info:
        mrc({"context": "Ann", "question": question, "answers": []}, {})
    assert (info.value.field, info.value.problem) == ("question", "empty question")


def test_general_output_is_never_a_silent_default():
    cfg = {"name": "d", "lang": "en", "task": "general"}
    assert normalise({"instruction": "Say it", "output": "it"}, cfg, 0)["output"] == "it"
    with pytest.raises(FieldError) as info:
        normalise({"instruction": "Say it", "instances": [{"input": "x"}]}, cfg, 0)
    assert (info.value.field, info.value.problem) == ("output", "missing")
