from __future__ import annotations

import json
import random

import pytest

from conftest import ROOT
from hum.instructions import fill
from hum.paraphrase import PLACEHOLDER
from hum.pool import human_descriptions
from hum.tasks import TASKS, Query
from hum.tasks.base import Draw
from hum.tasks.mrc import ANSWERS_SLOT, gold_answers, sentence_of


def labelset(kind, recs):
    task = TASKS["re" if kind == "fewrel" else kind]
    return sorted({lab for r in recs for lab in task.labels_of(r)})


@pytest.mark.parametrize("kind", ["ner", "re", "fewrel", "mrc", "cls"])
def test_gold_rows_in_text_order(records, kind):
    task, recs = TASKS["re" if kind == "fewrel" else kind], records[kind]
    labels = labelset(kind, recs)
    for i, rec in enumerate(recs):
        q = task.query(rec, labels, random.Random(i), task.subtasks[0])
        assert all(len(r) == len(q.columns) for r in q.rows)
        if kind == "ner":
            ents = sorted(rec["entities"], key=lambda e: (e["start"], -e["end"]))
            assert q.rows == [(e["type"], e["text"]) for e in ents if e["type"] in q.labels]
            assert [e["start"] for e in rec["entities"]] == sorted(e["start"] for e in rec["entities"])
        elif kind in {"re", "fewrel"}:
            rels = sorted(rec["relations"], key=lambda r: (min(r["head"]["start"], r["tail"]["start"]), r["type"]))
            assert q.rows == [(r["head"]["text"], r["type"], r["tail"]["text"]) for r in rels if r["type"] in q.labels]
        elif kind == "mrc":
            assert q.rows == [(rec["answers"][0]["text"],)]
            assert q.slots["question"] == rec["question"]
            assert q.rows[0][0] in q.slots["sentence"]
        else:
            assert q.rows == [(rec["labels"][0],)]
            assert set(rec["labels"]) <= set(q.labels)
        assert len(q.labels) == len(set(q.labels))
        assert set(q.labels) <= set(labels)


def test_ner_rows_real_record(records):
    rec = next(r for r in records["ner"] if len(r["entities"]) >= 2)
    q = TASKS["ner"].query(
        rec, ["corporation", "creative-work", "group", "location", "person", "product"], random.Random(0), "extract"
    )
    for typ, text in q.rows:
        assert any(e["text"] == text and e["type"] == typ and rec["text"][e["start"] : e["end"]] == text for e in rec["entities"])


def test_schema_has_distractors(records):
    labels = labelset("cls", records["cls"])
    rng = random.Random(5)
    sizes = [len(TASKS["cls"].query(r, labels, rng, "classify").labels) for r in records["cls"]]
    assert min(sizes) >= 2  # gold plus at least one distractor
    assert max(sizes) <= 6


def test_schema_keeps_gold_and_is_seeded():
    draw = Draw([f"L{i}" for i in range(20)])
    a = draw.schema(["L3", "L7"], random.Random(1), keep_all_gold=True)
    assert a == draw.schema(["L3", "L7"], random.Random(1), keep_all_gold=True)
    assert {"L3", "L7"} <= set(a)
    assert len(a) > 2
    assert Draw(["only"]).schema(["only"], random.Random(0), keep_all_gold=True) == ["only"]


@pytest.mark.parametrize("seed", range(20))
def test_schema_aims_at_empty_or_not(seed):
    rng, gold = random.Random(seed), ["L3", "L7"]
    labelset = [f"L{i}" for i in range(10)]
    assert set(Draw(labelset).schema(gold, rng)) & set(gold)  # at least one gold label is asked for
    assert not set(Draw(labelset, empty=True).schema(gold, rng)) & set(gold)
    assert Draw(labelset, empty=True).one(gold, rng) not in gold
    assert Draw(labelset).one(gold, rng) in gold
    assert Draw(gold, empty=True).one(gold, rng) in gold  # no absent label to ask for


def test_hard_negatives_are_drawn_from_neighbours():
    near = {"person": ["people-group"], "city": ["country"]}
    labelset = ["person", "city", "people-group", "country", *(f"x{i}" for i in range(30))]
    draws = [Draw(labelset, empty=True, p_hard=1.0, neighbours=near).schema(["person"], random.Random(s)) for s in range(20)]
    assert all("people-group" in d for d in draws)
    loose = [Draw(labelset, empty=True, neighbours=near).schema(["person"], random.Random(s)) for s in range(20)]
    assert sum("people-group" in d for d in loose) < 10


def test_ner_by_type(records):
    rec = next(r for r in records["ner"] if r["entities"])
    label = rec["entities"][0]["type"]
    q = TASKS["ner"].query(rec, [label], random.Random(0), "by_type")
    assert (q.columns, q.labels, q.slots, q.label_column) == (("entity",), [label], {"label": label}, None)
    assert q.rows == [(e["text"],) for e in rec["entities"] if e["type"] == label]


def test_re_by_relation_and_by_pair(records):
    rec = next(r for r in records["re"] if r["relations"])
    rel = rec["relations"][0]
    q = TASKS["re"].query(rec, [rel["type"]], random.Random(0), "by_relation")
    assert (q.subtask, q.columns, q.slots) == ("by_relation", ("head", "tail"), {"label": rel["type"]})
    assert q.rows == [(rel["head"]["text"], rel["tail"]["text"])]
    labels = labelset("re", records["re"])
    q = TASKS["re"].query(rec, labels, random.Random(0), "by_pair")
    assert (q.subtask, q.columns, q.label_column) == ("by_pair", ("relation",), "relation")
    assert q.slots == {"head": rel["head"]["text"], "tail": rel["tail"]["text"]}
    assert q.rows == [(rel["type"],)]
    assert rel["type"] in q.labels


def test_re_by_pair_without_relations_falls_back_to_triples(records):
    rec = next(r for r in records["re"] if not r["relations"])  # an "Other" record
    q = TASKS["re"].query(rec, ["Cause-Effect(e1,e2)", "Message-Topic(e1,e2)"], random.Random(0), "by_pair")
    assert (q.subtask, q.rows) == ("triples", [])


def test_mrc_unanswerable():
    rec = {"text": "abc", "question": "q?", "answers": []}
    assert TASKS["mrc"].query(rec, [], random.Random(0), "extractive").rows == []


def several_answers(record, *extra):
    """A real XQuAD record (one gold answer) given more gold answers, each `(start, end)` of its text, as SQuAD dev has."""
    text = record["text"]
    return {**record, "answers": record["answers"] + [{"text": text[s:e], "start": s, "end": e} for s, e in extra]}


def test_mrc_renders_the_first_of_several_gold_answers_and_keeps_them_all(records):
    rec = next(r for r in records["mrc"] if r["answers"] and " " in r["answers"][0]["text"])
    first = rec["answers"][0]
    cut = first["text"].index(" ")
    wider = several_answers(rec, (first["start"], first["start"] + cut), (first["start"], first["end"]))  # a repeat, kept once
    q = TASKS["mrc"].query(wider, [], random.Random(0), "extractive")
    assert q.rows == [(first["text"],)]
    assert gold_answers(q) == [first["text"], first["text"][:cut]]
    assert json.loads(q.slots[ANSWERS_SLOT]) == gold_answers(q)
    assert q.slots["sentence"] == sentence_of(rec["text"], first["start"], first["end"])


def test_mrc_states_no_sentence_when_gold_answers_lie_in_different_sentences(records):
    rec = next(r for r in records["mrc"] if r["answers"] and r["answers"][0]["start"] > 200)  # an earlier sentence exists
    q = TASKS["mrc"].query(several_answers(rec, (0, 3)), [], random.Random(0), "extractive")
    assert "sentence" not in q.slots
    assert gold_answers(q) == [rec["answers"][0]["text"], rec["text"][:3]]


def test_real_xquad_records_have_one_gold_answer_so_their_queries_are_as_before(records):
    for i, rec in enumerate(records["mrc"]):
        q = TASKS["mrc"].query(rec, [], random.Random(i), "extractive")
        assert ANSWERS_SLOT not in q.slots
        assert gold_answers(q) == [a["text"] for a in rec["answers"][:1]]


def test_spans_and_labels_of(records):
    rec = next(r for r in records["re"] if r["relations"])
    spans = TASKS["re"].spans(rec)
    assert [s.field for s in spans] == ["entities", "entities", "relations", "relations"]
    assert all(rec["text"][s.start : s.end] == s.text for s in spans)
    assert TASKS["re"].labels_of(rec) == [rec["relations"][0]["type"]]
    assert TASKS["cls"].labels_of({"labels": ["a", "b"]}) == ["a", "b"]


PLACEHOLDERS = {
    ("ee", "triggers"): {"{labels}"},
    ("ee", "arguments"): {"{labels}", "{event_type}", "{trigger}"},
    ("oie", "tuples"): set(),
}


def test_descriptions_of_ee_and_oie():
    descriptions = [d for d in human_descriptions(ROOT / "data/templates/descriptions.yaml") if d["task"] in {"ee", "oie"}]
    assert {(d["lang"], d["task"], d["subtask"]) for d in descriptions} == {
        ("en", "ee", "triggers"),
        ("en", "ee", "arguments"),
        ("en", "oie", "tuples"),
        ("zh", "ee", "triggers"),
        ("zh", "ee", "arguments"),
        ("zh", "oie", "tuples"),
    }
    for d in descriptions:
        assert set(PLACEHOLDER.findall(d["text"])) == PLACEHOLDERS[d["task"], d["subtask"]], d
        assert any(k in PLACEHOLDER.sub("", d["text"]).casefold() for k in d["keywords"]), d
        slots = {"event_type": "Adverse_event", "trigger": "occur"} if d["subtask"] == "arguments" else {}
        filled = fill(d["text"], Query(d["task"], d["subtask"], ("x",), [], ["A", "B"], None, slots), d["lang"])
        assert "{" not in filled


def test_by_pair_offers_every_relation_the_pair_has():
    span = {"head": {"text": "Paris", "start": 0, "end": 5}, "tail": {"text": "France", "start": 19, "end": 25}}
    record = {"text": "Paris is a city of France.", "relations": [{**span, "type": "capital_of"}, {**span, "type": "located_in"}]}
    for seed in range(20):
        query = TASKS["re"].query(record, ["capital_of", "located_in", "born_in", "part_of"], random.Random(seed), "by_pair")
        assert {"capital_of", "located_in"} <= set(query.labels)
        assert query.rows == [("capital_of",), ("located_in",)]


@pytest.mark.parametrize(("empty", "p_hard"), [(False, 0.0), (True, 0.0), (False, 0.5), (True, 1.0)])
def test_a_new_label_changes_only_the_schemas_that_ask_for_it(empty, p_hard):
    labelset, near = [f"L{i}" for i in range(12)], {"L3": ["L4", "L9"], "L7": ["L1"]}
    grown = [*labelset[:6], "new", *labelset[6:]]
    before, after = Draw(labelset, empty, p_hard, near), Draw(grown, empty, p_hard, near)
    taken = 0
    for seed in range(200):
        for gold in (["L3", "L7"], ["L3"], []):
            schema = after.schema(gold, random.Random(seed))
            assert "new" in schema or schema == before.schema(gold, random.Random(seed))
            one = after.one(gold, random.Random(seed))
            assert one in {"new", before.one(gold, random.Random(seed))}
            taken += "new" in schema
    assert taken


def test_a_new_label_leaves_real_queries_that_do_not_ask_for_it(records):
    labels, taken = labelset("ner", records["ner"]), 0
    for i, rec in enumerate(records["ner"]):
        for subtask in TASKS["ner"].subtasks:
            before = TASKS["ner"].query(rec, Draw(labels, p_hard=0.5), random.Random(i), subtask)
            after = TASKS["ner"].query(rec, Draw([*labels, "new-type"], p_hard=0.5), random.Random(i), subtask)
            assert "new-type" in after.labels or after == before
            taken += "new-type" in after.labels
    assert taken
