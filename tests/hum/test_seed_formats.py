"""Document JSON seed formats: DyGIE++ (one record per sentence) and SpERT, on real samples and hand-written edge cases."""

from __future__ import annotations

import json

import pytest

from conftest import DATA, real
from hum.errors import HumInputError
from hum.io import read_jsonl
from hum.loaders import load
from hum.normalise import FieldError, normalise
from hum.prepare import prepare_dataset

SCIERC = DATA / "raw/re/dygiepp/scierc_article.json"
CONLL04 = DATA / "raw/re/spert/conll04_test.json"

PARAMS = {"max_records": 100, "eval_fraction": 0.0, "on_error": "quarantine", "max_text_chars": 8000}


def rows(loader, path, **cfg):
    return list(load({"name": "d", "loader": loader, "train": str(path), **cfg}, "train"))


def records(loader, path, task, **cfg):
    cfg = {"name": "d", "task": task, "lang": "en", "loader": loader, "train": str(path), **cfg}
    return [normalise(row, cfg, where) for where, row in load(cfg, "train")]


@real(SCIERC)
def test_dygiepp_scierc_one_record_per_sentence_with_document_indices_moved():
    doc = json.loads(SCIERC.read_text(encoding="utf-8"))
    located = rows("dygiepp", SCIERC)
    assert [w for w, _ in located] == [f"line 1 sentences[{i}]" for i in range(8)]
    assert [r["id"] for _, r in located] == [f"CVPR_2003_18_abs-{i}" for i in range(8)]
    ner = records("dygiepp", SCIERC, "ner")
    re_ = records("dygiepp", SCIERC, "re")
    start = 0
    for i, (tokens, rec, rel) in enumerate(zip(doc["sentences"], ner, re_, strict=True)):
        assert rec["text"] == " ".join(tokens)
        expected = [(" ".join(tokens[s - start : e - start + 1]), t) for s, e, t in doc["ner"][i]]
        assert [(e["text"], e["type"]) for e in rec["entities"]] == expected
        assert all(rec["text"][e["start"] : e["end"]] == e["text"] for e in rec["entities"])
        ends = [
            (" ".join(tokens[a - start : b - start + 1]), " ".join(tokens[c - start : d - start + 1]), t)
            for a, b, c, d, t in doc["relations"][i]
        ]
        assert [(r["head"]["text"], r["tail"]["text"], r["type"]) for r in rel["relations"]] == ends
        start += len(tokens)
    assert sum(len(r["entities"]) for r in ner) == 25
    assert sum(len(r["relations"]) for r in re_) == 15
    nested = [(e["text"], e["type"]) for e in ner[6]["entities"]][2:4]
    assert nested == [("tracking of complex non-rigid motions", "Task"), ("complex non-rigid motions", "OtherScientificTerm")]


@real(SCIERC)
def test_dygiepp_prepares_end_to_end(tmp_path):
    cfg = {"name": "scierc", "task": "re", "lang": "en", "loader": "dygiepp", "train": str(SCIERC)}
    assert prepare_dataset(cfg, PARAMS, 13, tmp_path) == {"train": 8, "eval": 0, "decontaminated": 0, "quarantined": 0}
    assert json.loads((tmp_path / "scierc.labels.json").read_text()) == [
        "COMPARE", "CONJUNCTION", "FEATURE-OF", "HYPONYM-OF", "PART-OF", "USED-FOR"
    ]  # fmt: skip


def write_docs(path, *docs):
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return path


EVENT_DOC = {
    "doc_key": "toy",
    "sentences": [["Troops", "left", "."], ["Rebels", "attacked", "the", "town", "today", "."]],
    "ner": [[[0, 0, "PER"]], [[3, 3, "PER"], [5, 6, "LOC"]]],
    "events": [[], [[[4, "Attack"], [3, 3, "Attacker"], [5, 6, "Target"]], [[4, "Conflict"]]]],
}


def test_dygiepp_events_one_token_trigger_and_arguments_to_char_spans(tmp_path):
    path = write_docs(tmp_path / "ace.json", EVENT_DOC)
    ee = records("dygiepp", path, "ee")
    assert ee[0] == {"id": "toy-0", "dataset": "d", "task": "ee", "lang": "en", "text": "Troops left .", "events": []}
    assert ee[1]["events"] == [
        {
            "type": "Attack",
            "trigger": {"start": 7, "end": 15, "text": "attacked"},
            "arguments": [
                {"role": "Attacker", "start": 0, "end": 6, "text": "Rebels"},
                {"role": "Target", "start": 16, "end": 24, "text": "the town"},
            ],
        },
        {"type": "Conflict", "trigger": {"start": 7, "end": 15, "text": "attacked"}, "arguments": []},
    ]


IN_0, IN_1 = (
    "are not inside sentence 0 (tokens 0 to 2 of the document)",
    "are not inside sentence 1 (tokens 3 to 8 of the document)",
)


@pytest.mark.parametrize(
    ("change", "where", "field", "problem"),
    [
        ({"ner": [[[0, 3, "PER"]], []]}, "line 1 sentences[0]", "ner[0][0]", f"tokens [0, 3] {IN_0}"),
        ({"ner": [[], [[1, 2, "PER"]]]}, "line 1 sentences[1]", "ner[1][0]", f"tokens [1, 2] {IN_1}"),
        ({"ner": [[[0, 0]], []]}, "line 1 sentences[0]", "ner[0][0]", "expected a list of 3 items, got [0, 0]"),
        ({"events": [[[[9, "Attack"]]], []]}, "line 1 sentences[0]", "events[0][0][0]", f"tokens [9, 9] {IN_0}"),
        ({"ner": [[]]}, "line 1", "ner", "expected one list per sentence (2), got [[]]"),
        ({"doc_key": None}, "line 1", "doc_key", "expected the document's key, got None"),
        ({"sentences": [["Troops", ""], ["x"]]}, "line 1", "sentences[0]", "expected a list of non-empty tokens"),
    ],
)  # fmt: skip
def test_dygiepp_problems_name_file_sentence_and_field(tmp_path, change, where, field, problem):
    good = {**EVENT_DOC, "doc_key": "other"}
    path = write_docs(tmp_path / "docs.json", {**EVENT_DOC, **change}, good)
    located = rows("dygiepp", path)
    bad = [(w, r) for w, r in located if isinstance(r, HumInputError)]
    assert [(w, str(r)) for w, r in bad] == [(where, f"{path}: {where}: field '{field}': {problem}")]
    assert [r["id"] for _, r in located if isinstance(r, dict)][-2:] == ["other-0", "other-1"]  # the next document reads on


@real(CONLL04)
def test_spert_conll04_entities_and_relations_by_index():
    data = json.loads(CONLL04.read_text(encoding="utf-8"))
    assert [w for w, _ in rows("spert", CONLL04)] == [f"record {i}" for i in range(5)]
    for raw, rec in zip(data, records("spert", CONLL04, "re"), strict=True):
        texts = [" ".join(raw["tokens"][e["start"] : e["end"]]) for e in raw["entities"]]
        assert [e["text"] for e in rec["entities"]] == texts
        assert all(rec["text"][e["start"] : e["end"]] == e["text"] for e in rec["entities"])
        gold = [(texts[r["head"]], r["type"], texts[r["tail"]]) for r in raw["relations"]]
        assert [(r["head"]["text"], r["type"], r["tail"]["text"]) for r in rec["relations"]] == gold
    perugia = records("spert", CONLL04, "re")[1]
    assert [(r["head"]["text"], r["type"], r["tail"]["text"]) for r in perugia["relations"]] == [
        ("PERUGIA", "Located_In", "Italy"), ("AP", "OrgBased_In", "PERUGIA"), ("AP", "OrgBased_In", "Italy")
    ]  # fmt: skip
    ner = records("spert", CONLL04, "ner")
    assert [(e["text"], e["type"]) for e in ner[0]["entities"]] == [
        ("Hakawati Theatre", "Org"), ("Arab", "Other"), ("Jerusalem", "Loc"), ("Palestinians", "Other")
    ]  # fmt: skip


@real(CONLL04)
def test_spert_entity_index_out_of_range_is_quarantined_naming_file_record_and_field(tmp_path):
    data = json.loads(CONLL04.read_text(encoding="utf-8"))
    data[2]["relations"][0]["tail"] = 7
    path = tmp_path / "conll04.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    cfg = {"name": "conll04", "task": "re", "lang": "en", "loader": "spert", "train": str(path), "columns": {"orig_id": "id"}}
    counts = prepare_dataset(cfg, PARAMS, 13, tmp_path)
    assert (counts["train"], counts["quarantined"]) == (4, 1)
    reason = "entity index 7 is outside the record's 4 entities"
    assert list(read_jsonl(tmp_path / "conll04.quarantine.jsonl")) == [
        {"file": str(path), "where": "record 2", "field": "relations[0].tail", "reason": reason}
    ]
    assert sorted(r["id"] for r in read_jsonl(tmp_path / "conll04.train.jsonl")) == ["17", "23", "35", "36"]


def test_spert_not_an_array(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"tokens": []}', encoding="utf-8")
    assert [(w, str(r)) for w, r in rows("spert", path)] == [
        ("file", f"{path}: file: field '<json>': expected a JSON array of sentences (SpERT)")
    ]


def test_relation_end_on_a_discontinuous_entity_is_an_error():
    row = {
        "tokens": ["heart", "and", "lung", "disease", "kills"],
        "entities": [
            {"fragments": [{"start": 0, "end": 1}, {"start": 3, "end": 4}], "type": "D"},
            {"start": 4, "end": 5, "type": "V"},
        ],
        "relations": [{"type": "r", "head": 1, "tail": 0}],
    }
    cfg = {"name": "d", "task": "re", "lang": "en"}
    with pytest.raises(FieldError) as info:
        normalise(row, cfg, "0")
    assert (info.value.field, info.value.problem) == ("relations[0].tail", "a relation end needs one contiguous span, found 2")
    ner = normalise(row, cfg | {"task": "ner"}, "0")
    assert [(e["text"], e["start"], e["end"]) for e in ner["entities"]] == [
        ("heart", 0, 5),
        ("disease", 15, 22),
        ("kills", 23, 28),
    ]
