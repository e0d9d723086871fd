from __future__ import annotations

import hashlib
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from conftest import PARAPHRASE_CFG, FakeChat, guideline_draft
from hum.errors import HumInputError
from hum.io import read_jsonl, write_jsonl
from hum.pool import as_proposal, build_pool, human_descriptions, load_pool, proposal_id
from hum.review import (
    FIELDS,
    GUIDELINE_FIELDS,
    HEADER,
    ReviewError,
    decide,
    load_decisions,
    load_proposals,
    pending,
    proposed_text,
    text_problem,
)

NOW = datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
TEMPLATES = """
keywords:
  en: {ner: [entit], re: [relation]}
descriptions:
  en:
    ner:
      extract: ["Find all named entities in the text that belong to these types: {labels}."]
    re:
      by_pair: ["What is the relation from \\"{head}\\" to \\"{tail}\\"? Choose from: {labels}."]
"""
PARAMS = {"seed": 3, "paraphrase": PARAPHRASE_CFG}
NER = [
    "Identify every entity mentioned in the passage whose type is one of {labels}.",
    "Spot each named entity of the types {labels} in the passage.",
    "List the entities in the passage that have one of the types {labels}.",
]
RE = 'Which relation links "{head}" to "{tail}" in the passage? Options: {labels}.'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "descriptions.yaml").write_text(TEMPLATES, encoding="utf-8")
    (tmp_path / "reviews.yaml").write_text(HEADER + "decisions: []\n", encoding="utf-8")
    human = {h["id"]: h for h in human_descriptions(tmp_path / "descriptions.yaml")}
    kept = [{"text": t} for t in NER]
    proposals = [as_proposal(k, human["en.ner.extract.0"]) for k in kept] + [as_proposal({"text": RE}, human["en.re.by_pair.0"])]
    write_jsonl(tmp_path / "proposals.jsonl", proposals)
    return tmp_path


def by_text(project: Path) -> dict[str, dict]:
    return {p["text"]: p for p in load_proposals(project / "proposals.jsonl")}


def test_proposal_ids_are_content_addressed():
    digest = hashlib.sha256(NER[0].encode()).hexdigest()[:10]
    assert proposal_id("en.ner.extract.0", NER[0]) == f"en.ner.extract.0~{digest}"
    assert proposal_id("en.ner.extract.0", NER[0]) != proposal_id("en.ner.extract.0", NER[1])
    assert proposal_id("en.ner.extract.0", NER[0]) != proposal_id("en.ner.extract.1", NER[0])


def test_ids_stay_the_same_when_a_rebuild_finds_the_text_at_another_attempt(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "descriptions.yaml").write_text(TEMPLATES, encoding="utf-8")
    ids = []
    for name, replies in [("first", [NER[0], "", ""]), ("second", ["", "", NER[0]])]:
        build_pool(tmp_path / "descriptions.yaml", FakeChat(replies, fingerprint=name), PARAMS, tmp_path / name)
        ids.append([p["id"] for p in read_jsonl(tmp_path / name / "proposals.jsonl") if p["task"] == "ner"])
    assert ids[0] == ids[1] == [proposal_id("en.ner.extract.0", NER[0])]


def test_pending_is_in_id_order_and_skips_decided(project):
    proposals = load_proposals(project / "proposals.jsonl")
    ids = sorted(p["id"] for p in proposals)
    assert [p["id"] for p in pending(proposals[::-1] + proposals[:1], [])] == ids  # sorted, each once
    assert [p["id"] for p in pending(proposals, [{"id": ids[1]}, {"id": ids[3]}])] == [ids[0], ids[2]]
    assert pending(proposals, [], kind="guideline") == []
    assert len(pending(proposals, [], kind="description")) == 4


def test_decide_appends_entries_in_decision_order(project):
    reviews, p = project / "reviews.yaml", by_text(project)
    first = decide(reviews, p[NER[1]], "accepted", NER[1], None, "Ann", NOW)
    edited = "Mark each entity in the passage whose type is among {labels}."
    decide(reviews, p[NER[0]], "accepted", f"  {edited}\n", None, "Bob", NOW.astimezone(timezone(timedelta(hours=2))))
    decide(reviews, p[RE], "rejected", RE, " awkward ", "Ann", NOW + timedelta(minutes=1))
    text = reviews.read_text(encoding="utf-8")
    assert text.startswith(HEADER)  # the comment header survives rewrites
    decisions = load_decisions(reviews)
    assert decisions == yaml.safe_load(text)["decisions"]
    assert decisions[0] == first
    assert (
        tuple(first)
        == FIELDS
        == ("id", "kind", "lang", "task", "subtask", "parent", "proposed", "text", "decision", "reason", "reviewer", "at")
    )
    assert first == {
        "id": p[NER[1]]["id"],
        "kind": "description",
        "lang": "en",
        "task": "ner",
        "subtask": "extract",
        "parent": "en.ner.extract.0",
        "proposed": NER[1],
        "text": NER[1],
        "decision": "accepted",
        "reason": None,
        "reviewer": "Ann",
        "at": "2025-03-04T05:06:07Z",
    }
    assert [(d["proposed"], d["text"], d["reason"], d["reviewer"], d["at"]) for d in decisions[1:]] == [
        (NER[0], edited, None, "Bob", "2025-03-04T05:06:07Z"),  # stored in UTC whatever the caller's zone
        (RE, RE, "awkward", "Ann", "2025-03-04T05:07:07Z"),
    ]
    assert [p["text"] for p in pending(load_proposals(project / "proposals.jsonl"), decisions)] == [NER[2]]


@pytest.mark.parametrize(
    ("proposal", "text", "problem"),
    [
        (
            NER[0],
            "Find the entities in the passage.",
            "keep the placeholders of its human description exactly: {labels} (it has none",
        ),
        (NER[0], "Find {labels} and {labels} in the passage.", "(it has {labels} {labels})"),
        (NER[0], "Find {label} entities in the passage.", "exactly: {labels} (it has {label})"),
        (NER[0], "Find the entities {labels} in the text {like this.", "stray brace"),
        (NER[0], "   ", "the text is empty"),
        (NER[0], "Find entities of {labels}\nin the text.", "single line"),
        (RE, 'Which relation links "{tail}" to "{head}"? Options: {labels}.', None),  # order is free, the multiset counts
        (RE, 'Which relation links "{head}" to the tail? Options: {labels}.', "{head} {labels} {tail} (it has {head} {labels})"),
    ],
)
def test_edits_must_keep_the_placeholders(project, proposal, text, problem):
    p = by_text(project)[proposal]
    found = text_problem(p, text)
    assert (found is None) if problem is None else (problem in found)
    reviews = project / "reviews.yaml"
    if problem is None:
        decide(reviews, p, "accepted", text, None, "Ann", NOW)
        return
    with pytest.raises(ReviewError, match=r"^edit refused: "):
        decide(reviews, p, "accepted", text, None, "Ann", NOW)
    assert load_decisions(reviews) == []


def test_decide_refuses_bad_decisions(project):
    reviews, p = project / "reviews.yaml", by_text(project)[NER[0]]
    for decision, reason, reviewer, now, message in [
        ("maybe", None, "Ann", NOW, "decision must be one of accepted, rejected"),
        ("rejected", None, "Ann", NOW, "a rejection needs a reason"),
        ("rejected", "  ", "Ann", NOW, "a rejection needs a reason"),
        ("accepted", None, " ", NOW, "needs a reviewer"),
        ("accepted", None, "Ann", NOW.replace(tzinfo=None), "timezone-aware"),
    ]:
        with pytest.raises(ValueError, match=message):
            decide(reviews, p, decision, p["text"], reason, reviewer, now)
    decide(reviews, p, "accepted", p["text"], "ignored", "Ann", NOW)
    assert load_decisions(reviews)[0]["reason"] is None
    with pytest.raises(ReviewError, match="already decided"):
        decide(reviews, p, "rejected", p["text"], "changed my mind", "Bob", NOW)
    assert len(load_decisions(reviews)) == 1


def test_a_write_interrupted_midway_leaves_the_previous_file_whole(project, monkeypatch):
    reviews, p = project / "reviews.yaml", by_text(project)
    decide(reviews, p[NER[0]], "accepted", NER[0], None, "Ann", NOW)
    before = reviews.read_bytes()

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the new version is being written

    monkeypatch.setattr("hum.io.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        decide(reviews, p[NER[1]], "accepted", NER[1], None, "Ann", NOW)
    assert reviews.read_bytes() == before
    assert sorted(f.name for f in project.iterdir()) == ["descriptions.yaml", "proposals.jsonl", "reviews.yaml"]  # no temp left


def test_concurrent_decisions_are_all_kept_and_the_file_always_parses(tmp_path):
    reviews = tmp_path / "reviews.yaml"
    proposals = [
        as_proposal(
            {"text": f"Find entity number {i} of the types {{labels}}."}, base_parent() | {"id": f"en.ner.extract.{i % 3}"}
        )
        for i in range(40)
    ]
    stop, seen = threading.Event(), []

    def reader() -> None:
        while not stop.is_set():
            if reviews.exists():
                seen.append(len(load_decisions(reviews)))  # a reader never sees a half-written file

    watcher = threading.Thread(target=reader)
    watcher.start()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: decide(reviews, p, "accepted", p["text"], None, "Ann", NOW), proposals))
    stop.set()
    watcher.join()
    assert sorted(d["id"] for d in load_decisions(reviews)) == sorted(p["id"] for p in proposals)
    assert seen == sorted(seen)
    assert not [f for f in tmp_path.iterdir() if f.name != "reviews.yaml"]


def base_parent() -> dict:
    return {"lang": "en", "task": "ner", "subtask": "extract", "text": "Find the entities: {labels}.", "keywords": ["entit"]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("decisions: {}\n", "expected a mapping with a `decisions` list"),
        ("- 1\n", "expected a mapping with a `decisions` list"),
        ("decisions:\n- [1]\n", "decision 0: field '<entry>': expected a mapping"),
        ("decisions:\n- {id: x}\n", "decision 0: field 'kind': missing"),
    ],
)
def test_hand_edited_reviews_are_checked(tmp_path, content, message):
    (tmp_path / "reviews.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(HumInputError, match=re.escape(message)):
        load_decisions(tmp_path / "reviews.yaml")


def test_hand_edited_decision_fields_are_checked(project):
    reviews, p = project / "reviews.yaml", by_text(project)
    decide(reviews, p[NER[0]], "rejected", NER[0], "meh", "Ann", NOW)
    good = yaml.safe_load(reviews.read_text(encoding="utf-8"))["decisions"][0]
    for change, message in [
        ({"decision": "accept"}, "field 'decision': 'accept' is not one of accepted, rejected"),
        ({"reason": None}, "field 'reason': a rejection needs a reason"),
        ({"at": datetime(2025, 1, 1, tzinfo=UTC)}, "field 'at': expected text"),
    ]:
        reviews.write_text(yaml.safe_dump({"decisions": [good | change]}), encoding="utf-8")
        with pytest.raises(HumInputError, match=re.escape(message)):
            load_decisions(reviews)
    reviews.write_text(yaml.safe_dump({"decisions": [good, good]}), encoding="utf-8")
    with pytest.raises(HumInputError, match=r"decision 1: field 'id': .* is decided twice"):
        load_decisions(reviews)


def test_missing_files(tmp_path):
    assert load_decisions(tmp_path / "reviews.yaml") == []
    with pytest.raises(ReviewError, match="run `dvc repro paraphrase` first"):
        load_proposals(tmp_path / "proposals.jsonl")


def pool_ids(pool: dict) -> dict:
    return {k: [(d["id"], d["source"], d["status"]) for d in v] for k, v in pool.items()}


def test_load_pool_uses_accepted_decisions_and_unreviewed_only_on_request(project):
    templates, proposals, reviews = project / "descriptions.yaml", project / "proposals.jsonl", project / "reviews.yaml"
    p = by_text(project)
    human_only = {
        ("en", "ner", "extract"): [("en.ner.extract.0", "human", "accepted")],
        ("en", "re", "by_pair"): [("en.re.by_pair.0", "human", "accepted")],
    }
    assert pool_ids(load_pool(templates, proposals, reviews, unreviewed=False)) == human_only
    edited = "Mark each entity in the passage whose type is among {labels}."
    decide(reviews, p[NER[1]], "accepted", edited, None, "Ann", NOW)
    decide(reviews, p[NER[2]], "rejected", NER[2], "vague", "Ann", NOW)
    decide(reviews, p[NER[0]], "accepted", NER[0], None, "Ann", NOW)

    reviewed = load_pool(templates, proposals, reviews, unreviewed=False)
    accepted = sorted([p[NER[0]]["id"], p[NER[1]]["id"]])
    assert pool_ids(reviewed) == human_only | {
        ("en", "ner", "extract"): [("en.ner.extract.0", "human", "accepted")] + [(i, "llm", "accepted") for i in accepted],
    }
    texts = {d["id"]: d["text"] for d in reviewed[("en", "ner", "extract")]}
    assert texts[p[NER[1]]["id"]] == edited  # the final text, not the proposed one
    assert set(reviewed[("en", "ner", "extract")][1]) == {"id", "lang", "task", "subtask", "text", "source", "status"}
    assert load_pool(templates, None, reviews, unreviewed=False) == reviewed  # decisions stand without proposals

    everything = load_pool(templates, proposals, reviews, unreviewed=True)
    assert pool_ids(everything)[("en", "re", "by_pair")] == [
        ("en.re.by_pair.0", "human", "accepted"),
        (p[RE]["id"], "llm", "proposed"),
    ]
    assert everything[("en", "ner", "extract")] == reviewed[("en", "ner", "extract")]  # the rejected one stays out
    assert list(everything) == sorted(everything)
    with pytest.raises(ValueError, match="no proposals file"):
        load_pool(templates, None, reviews, unreviewed=True)


GADGET = guideline_draft(
    "gadget", "A gadget is a named device or piece of consumer hardware.", examples=["Pixel 8"], negatives=["Google"]
)


def test_a_guideline_decision_records_its_dataset_and_label(tmp_path):
    reviews = tmp_path / "reviews.yaml"
    seen: list[tuple[dict, list]] = []
    entry = decide(
        reviews,
        GADGET,
        "accepted",
        "Named devices {such as phones}.",
        None,
        "Ann",
        NOW,
        on_accept=lambda e: seen.append((e, load_decisions(reviews))),
    )
    assert tuple(entry) == GUIDELINE_FIELDS
    assert {k: entry[k] for k in ("kind", "dataset", "label", "proposed", "text")} == {
        "kind": "guideline",
        "dataset": "toy",
        "label": "gadget",
        "proposed": GADGET["definition"],
        "text": "Named devices {such as phones}.",  # a definition fills a slot: braces are only text
    }
    assert seen == [(entry, [])]  # called with the entry before the decision is written
    assert load_decisions(reviews) == [entry]


def test_an_acceptance_its_hook_refuses_is_not_recorded_and_rejections_skip_the_hook(tmp_path):
    reviews = tmp_path / "reviews.yaml"

    def refuse(entry: dict) -> None:
        raise ReviewError("gadget has a guideline by now")

    with pytest.raises(ReviewError, match="by now"):
        decide(reviews, GADGET, "accepted", GADGET["definition"], None, "Ann", NOW, on_accept=refuse)
    assert load_decisions(reviews) == []
    decide(reviews, GADGET, "rejected", GADGET["definition"], "vague", "Ann", NOW, on_accept=refuse)
    assert [d["decision"] for d in load_decisions(reviews)] == ["rejected"]


def test_a_definition_is_one_non_empty_line():
    assert proposed_text(GADGET) == GADGET["definition"]
    assert text_problem(GADGET, "Named devices.\nAnd more.") == "a definition is a single line"
    assert text_problem(GADGET, " ") == "the text is empty"
    assert text_problem(GADGET, "Named devices, {labels} or not.") is None


def test_superseded_drafts_wait_for_no_one():
    old = guideline_draft("gadget", "Old text of the draft.", status="superseded", examples=["Pixel 8"], negatives=["Google"])
    assert pending([old, GADGET], [], "guideline") == [GADGET]


def test_unknown_kinds_are_refused_in_hand_edits(tmp_path):
    (tmp_path / "reviews.yaml").write_text("decisions:\n- {id: x, kind: rule}\n", encoding="utf-8")
    with pytest.raises(HumInputError, match=re.escape("field 'kind': 'rule' is not one of description, guideline")):
        load_decisions(tmp_path / "reviews.yaml")
    with pytest.raises(ReviewError, match=re.escape("run `hum guidelines draft` first")):
        load_proposals(tmp_path / "drafts.jsonl", "hum guidelines draft")
