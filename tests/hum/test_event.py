from __future__ import annotations

import copy
import random
from collections import Counter

import pytest
import yaml

from conftest import DATA, FORMATS, ROOT, generation_context
from hum.answers import answer_problem, query_of
from hum.generate import instructions_for
from hum.io import read_jsonl
from hum.normalise import FieldError, event, fragment_spans, normalise
from hum.prepare import Bad, check_batch, prepare_dataset, train_records
from hum.rules import RULES, apply_rules
from hum.tasks import TASKS
from hum.tasks.base import Draw
from hum.tasks.event import ROLE

EE = TASKS["ee"]
CFG = yaml.safe_load((ROOT / "conf/datasets/phee.yaml").read_text(encoding="utf-8"))
RAW = list(read_jsonl(DATA / "ee/phee_dev.jsonl"))


@pytest.fixture(scope="module")
def phee() -> list[dict]:
    return [normalise(row, CFG, i) for i, row in enumerate(RAW)]


@pytest.fixture(scope="module")
def labelset(phee) -> list[str]:
    return sorted({lab for r in phee for lab in EE.labels_of(r)})


def test_seed_copy_is_the_shared_sample():
    assert (ROOT / CFG["train"]).read_bytes() == (DATA / "ee/phee_dev.jsonl").read_bytes()
    assert (CFG["name"], CFG["task"], CFG["loader"]) == ("phee", "ee", "jsonl")


def test_offsets_over_the_whole_file(phee):
    spans = [(r, s) for r in phee for s in EE.spans(r)]
    assert all(r["text"][s.start : s.end] == s.text for r, s in spans)
    assert len(phee) == 961
    assert sum(len(r["events"]) for r in phee) == 1003


def test_discontinuous_arguments_become_one_per_fragment(phee):
    """The documented exception: 124 PHEE arguments have several non-adjacent fragments; none are dropped."""
    split = Counter()
    for raw, rec in zip(RAW, phee, strict=True):
        for ev_raw, ev in zip(raw["events"], rec["events"], strict=True):
            assert ev["trigger"] == {k: ev_raw["trigger"]["fragments"][0][k] for k in ("text", "start", "end")}
            expected = [(a["role"], f["text"], f["start"], f["end"]) for a in ev_raw["arguments"] for f in a["fragments"]]
            assert [(a["role"], a["text"], a["start"], a["end"]) for a in ev["arguments"]] == expected
            split.update(len(a["fragments"]) for a in ev_raw["arguments"] if len(a["fragments"]) > 1)
    assert split == Counter({2: 120, 3: 2, 4: 2})  # 124 arguments, 254 spans


def test_fragment_spans_rules():
    text = "intravenous heroin injection of a b"
    frag = lambda s, e: {"text": text[s:e], "start": s, "end": e}  # noqa: E731
    apart = {"text": "intravenous injection", "fragments": [frag(0, 11), frag(19, 28)]}
    adjacent = {"text": "a b", "fragments": [frag(32, 33), frag(34, 35)]}
    assert fragment_spans(text, apart) == [frag(0, 11), frag(19, 28)]
    assert fragment_spans(text, adjacent) == [frag(32, 35)]
    assert fragment_spans(text, {"text": "heroin", "start": 12, "end": 18}) == [frag(12, 18)]
    assert fragment_spans(text, {"text": "true", "fragments": []}) == []


def test_event_drops_spanless_arguments_and_values():
    row = {
        "text": "Fatal rash after drug X.",
        "events": [
            {
                "type": "Adverse_event",
                "trigger": {"text": "after", "fragments": [{"text": "after", "start": 11, "end": 16}]},
                "arguments": [
                    {
                        "role": "Severity",
                        "text": "Fatal",
                        "value": "High",
                        "fragments": [{"text": "Fatal", "start": 0, "end": 5}],
                    },
                    {"role": "Negated", "text": "", "value": False, "fragments": []},
                ],
            }
        ],
    }
    assert event(row, {})["events"] == [
        {
            "type": "Adverse_event",
            "trigger": {"text": "after", "start": 11, "end": 16},
            "arguments": [{"role": "Severity", "text": "Fatal", "start": 0, "end": 5}],
        }
    ]


def test_discontinuous_trigger_is_an_error():
    frags = [{"text": "led", "start": 0, "end": 3}, {"text": "to", "start": 8, "end": 10}]
    row = {"text": "led then to", "events": [{"type": "T", "trigger": {"text": "led to", "fragments": frags}, "arguments": []}]}
    with pytest.raises(FieldError) as info:
        event(row, {})
    assert (info.value.field, info.value.problem) == ("events[0].trigger", "a trigger needs one contiguous span, found 2")


def test_labels_cover_types_and_roles(phee, labelset):
    assert [lab for lab in labelset if not lab.startswith(ROLE)] == ["Adverse_event", "Potential_therapeutic_event"]
    roles = {lab.removeprefix(ROLE) for lab in labelset if lab.startswith(ROLE)}
    assert {"Subject", "Treatment", "Effect", "Treatment.Drug", "Treatment.Disorder", "Subject.Age"} <= roles
    assert len(roles) == 20
    rec = phee[0]
    assert EE.labels_of(rec) == ["Adverse_event"] + [ROLE + a["role"] for a in rec["events"][0]["arguments"]]
    fields = [s.field for s in EE.spans(rec)]
    assert fields == ["events[0].trigger"] + [f"events[0].arguments[{j}]" for j in range(len(rec["events"][0]["arguments"]))]


def test_triggers_rows(phee, labelset):
    for i, rec in enumerate(phee):
        q = EE.query(rec, labelset, random.Random(i), "triggers")
        assert (q.subtask, q.columns, q.label_column, q.slots) == ("triggers", ("type", "trigger"), "type", {})
        assert set(q.labels) <= {"Adverse_event", "Potential_therapeutic_event"}
        mentions = {(e["trigger"]["start"], -e["trigger"]["end"], e["type"], e["trigger"]["text"]) for e in rec["events"]}
        assert q.rows == [(t, text) for _, _, t, text in sorted(mentions) if t in q.labels]


def test_arguments_rows_real_record(phee, labelset):
    rec = phee[0]  # "Physicians should be aware that PLP can occur after initiation of paclitaxel."
    gold = [("Effect", "PLP"), ("Speculated", "can"), ("Treatment", "paclitaxel"), ("Treatment.Drug", "paclitaxel")]
    for seed in range(20):
        q = EE.query(rec, labelset, random.Random(seed), "arguments")
        assert (q.subtask, q.columns, q.label_column) == ("arguments", ("role", "argument"), "role")
        assert q.slots == {"event_type": "Adverse_event", "trigger": "occur"}
        assert q.rows == [r for r in gold if r[0] in q.labels]
        assert {ROLE + lab for lab in q.labels} <= set(labelset)


def test_arguments_schema_has_absent_roles(phee, labelset):
    queries = [EE.query(r, labelset, random.Random(i), "arguments") for i, r in enumerate(phee)]
    assert all(set(q.labels) - {row[0] for row in q.rows} for q in queries)  # a distractor role in every schema
    aimed = [EE.query(r, Draw(labelset, empty=True), random.Random(i), "arguments") for i, r in enumerate(phee)]
    assert all(not q.rows for q in aimed)  # aiming at an empty answer asks only for absent roles


def test_arguments_of_events_sharing_a_trigger_are_merged(phee, labelset):
    """Two PHEE events on one trigger span: the instruction names only type and trigger, so both answer, once each."""
    rec = next(r for r in phee if r["id"] == "15468380_2")
    assert [(e["type"], e["trigger"]["text"]) for e in rec["events"]] == [("Adverse_event", "associated")] * 2
    args = sorted({(a["start"], -a["end"], a["role"], a["text"]) for e in rec["events"] for a in e["arguments"]})
    queries = [EE.query(rec, labelset, random.Random(seed), "arguments") for seed in range(20)]
    for q in queries:
        assert q.rows == [(role, text) for _, _, role, text in args if role in q.labels]
    both = next(q for q in queries if {"Subject", "Treatment"} <= set(q.labels))
    assert [r for r in both.rows if r[0] in {"Subject", "Treatment"}] == [
        ("Treatment", "infliximab therapy"),
        ("Subject", "one patient"),
        ("Subject", "preexisting mononeuritis multiplex in the other"),
    ]


def test_arguments_without_events_falls_back_to_triggers():
    rec = {"text": "Nothing happened.", "events": []}
    q = EE.query(rec, ["Adverse_event", "role:Subject"], random.Random(0), "arguments")
    assert (q.subtask, q.rows, q.labels) == ("triggers", [], ["Adverse_event"])


def test_at_least_three_rule_families_apply(phee, labelset):
    for subtask in EE.subtasks:
        q = EE.query(phee[0], labelset, random.Random(0), subtask)
        families = {r.family for r in RULES.values() if r.applies(q)}
        assert families >= {"duplicates", "order", "casing", "empty", "verbatim", "answer_only"}


def test_check_batch_names_event_fields(phee, labelset):
    rec = copy.deepcopy(phee[0])
    rec["events"][0]["trigger"]["start"] += 1
    rec["events"][0]["arguments"][1]["role"] = "Dose"
    problems = check_batch([("line 1", rec)], "phee.jsonl", set(labelset), set())
    assert problems == [
        Bad(
            "phee.jsonl",
            "line 1",
            "events[0].trigger",
            "span text does not match the text at [start:end): span 'occur', text has 'ccur'",
        ),
        Bad("phee.jsonl", "line 1", "events[0].arguments[1]", "label is not in the dataset's label set: 'role:Dose'"),
    ]
    assert check_batch([("line 1", phee[0])], "phee.jsonl", set(labelset), set()) == []


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    out = tmp_path_factory.mktemp("prepared")
    cfg = {**CFG, "train": str(ROOT / CFG["train"])}
    counts = prepare_dataset(cfg, {"max_records": 300, "eval_fraction": 0.2, "on_error": "raise"}, 13, out)
    assert counts["train"] == 300
    assert counts["quarantined"] == 0
    return out


@pytest.mark.parametrize("seed", range(10))
def test_generated_answers_parse_back(prepared, seed):
    ctx = generation_context(prepared, seed)
    records = list(train_records(prepared, "general"))
    records += [{**r, "id": f"{r['id']}-zh", "lang": "zh"} for r in records[:60]]
    seen, guided = Counter(), 0
    for rec in records:
        for out in instructions_for(rec, ctx):
            assert answer_problem(out) is None, out
            meta = out["meta"]
            seen.update([meta["subtask"], meta["format"], meta["kind"], meta["lang"], *meta["rules"]])
            guided += bool(meta["guidelines"])
            if meta["subtask"] == "arguments":
                assert set(meta["labels"]) <= {lab.removeprefix(ROLE) for lab in ctx.labelsets["phee"]}
    assert {"triggers", "arguments", "basic", "compound", "en", "zh", *FORMATS} <= set(seen)
    queries = [EE.query(r, ctx.labelsets["phee"], random.Random(0), s) for r in records[:20] for s in EE.subtasks]
    applicable = {rule.id for q in queries for rule in RULES.values() if rule.applies(q)}
    assert applicable <= set(seen)  # every rule that applies to ee was stated
    assert guided > 0


def test_guidelines_cover_the_label_set(labelset):
    doc = yaml.safe_load((ROOT / "data/guidelines/phee.yaml").read_text(encoding="utf-8"))
    names = {lab.removeprefix(ROLE) for lab in labelset}
    assert set(doc["labels"]) <= names
    assert {"Adverse_event", "Potential_therapeutic_event", "Subject", "Treatment", "Effect", "Treatment.Drug"} <= set(
        doc["labels"]
    )


def test_empty_share_meets_its_target(prepared):
    contexts, records = [generation_context(prepared, s) for s in range(3)], list(train_records(prepared, "general"))
    outs = [o for ctx in contexts for r in records for o in instructions_for(r, ctx) if o["meta"]["task"] == "ee"]
    empty = sum(not apply_rules(o["meta"]["rules"], query_of(o["meta"])) for o in outs) / len(outs)
    assert abs(empty - 0.2) <= 0.05
