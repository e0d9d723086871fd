"""BRAT standoff documents: brat's own tutorial documents, and hand-written edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DATA, real
from hum.errors import HumInputError
from hum.io import read_jsonl
from hum.loaders import load
from hum.normalise import FieldError, normalise
from hum.prepare import prepare_dataset

NEWS, BIO = DATA / "raw/brat/news", DATA / "raw/brat/bio"

PARAMS = {"max_records": 100, "eval_fraction": 0.0, "on_error": "quarantine", "max_text_chars": 8000}


def located(train, **cfg):
    return list(load({"name": "b", "loader": "brat", "train": train, **cfg}, "train"))


def records(train, task, **cfg):
    cfg = {"name": "b", "task": task, "lang": "en", "loader": "brat", "train": train, **cfg}
    return {where: normalise(row, cfg, where) for where, row in load(cfg, "train")}


def text_bound(ann: Path) -> dict[str, tuple[str, list[tuple[int, int]], str]]:
    """The `T` lines of an .ann file, read here on their own: id -> (type, fragments, text)."""
    found = {}
    for line in ann.read_text(encoding="utf-8").splitlines():
        if line.startswith("T"):
            ident, body, text = line.split("\t")
            kind, offsets = body.split(" ", 1)
            found[ident] = (kind, [tuple(map(int, f.split())) for f in offsets.split(";")], text)
    return found


@real(NEWS)
def test_a_folder_is_one_record_per_document_in_name_order():
    rows = located(str(NEWS))
    names = ["000-introduction", "010-navigation", "060-relation_annotation", "090-event_structures"]
    assert [w for w, _ in rows] == names
    assert [r["id"] for _, r in rows] == names
    assert all(r["text"] == (NEWS / f"{n}.txt").read_text(encoding="utf-8") for n, (_, r) in zip(names, rows, strict=True))
    both = located([str(NEWS), str(BIO / "090-event_structures.txt")])  # ids unique across folders: paths from their parent
    assert [r["id"] for _, r in both] == [*(f"news/{n}" for n in names), "bio/090-event_structures"]


@pytest.mark.parametrize("name", ["000-introduction", "060-relation_annotation", "090-event_structures"])
@real(NEWS)
def test_entities_are_the_text_bound_annotations_that_are_no_triggers(name):
    rec = records(str(NEWS), "ner")[name]
    ann = NEWS / f"{name}.ann"
    triggers = {line.split("\t")[1].split()[0].split(":")[1] for line in ann.read_text().splitlines() if line.startswith("E")}
    expected = [(t, text, s, e) for i, (t, [(s, e)], text) in text_bound(ann).items() if i not in triggers]
    assert [(e["type"], e["text"], e["start"], e["end"]) for e in rec["entities"]] == expected
    assert all(rec["text"][e["start"] : e["end"]] == e["text"] for e in rec["entities"])


@real(NEWS)
def test_relations_by_id_and_attributes_notes_normalisations_equivalences_read_past():
    rec = records(str(NEWS), "re")
    assert [(r["head"]["text"], r["type"], r["tail"]["text"]) for r in rec["000-introduction"]["relations"]] == [
        ("banks", "Origin", "Switzerland"),
        ("Raul Salinas de Gortari", "Family", "former Mexican president"),
    ]
    assert [(r["head"]["text"], r["type"], r["tail"]["text"]) for r in rec["060-relation_annotation"]["relations"]] == [
        ("Terry Pratchett", "Located", "England")
    ]
    assert rec["010-navigation"]["entities"] == rec["010-navigation"]["relations"] == []


@real(BIO)
def test_events_with_nested_events_as_arguments():
    rec = records(str(BIO), "ee")["090-event_structures"]
    summary = [
        (e["type"], e["trigger"]["text"], [(a["role"], a["text"], a["start"]) for a in e["arguments"]]) for e in rec["events"]
    ]
    assert summary == [
        ("Gene_expression", "expression", [("Theme", "IL-10", 321)]),
        ("Positive_regulation", "upregulates", [("Cause", "LMP1", 304), ("Theme", "expression", 327)]),  # Theme:E1
        ("Gene_expression", "Expression", [("Theme", "IkB-alpha", 469)]),
        ("Gene_expression", "expression", [("Theme", "VCAM-1", 509)]),
        ("Positive_regulation", "upregulation", [("Theme", "expression", 516)]),
        ("Negative_regulation", "inhibited", [("Cause", "Expression", 455), ("Theme", "upregulation", 493)]),
    ]
    news = records(str(NEWS), "ee")["000-introduction"]["events"]
    assert [(a["role"], a["text"]) for a in news[0]["arguments"]] == [
        ("Giver-Arg", "Citibank"), ("Money-Arg", "$100 million"), ("Beneficiary-Arg", "Raul Salinas de Gortari"),
        ("Recipient-Arg", "banks"),
    ]  # fmt: skip


@real(BIO)
def test_prepares_end_to_end(tmp_path):
    cfg = {"name": "brat_bio", "task": "ee", "lang": "en", "loader": "brat", "train": [str(BIO)]}
    assert prepare_dataset(cfg, PARAMS, 13, tmp_path)["train"] == 1
    labels = (tmp_path / "brat_bio.labels.json").read_text()
    assert all(lab in labels for lab in ("Gene_expression", "role:Cause", "role:Theme"))


def document(folder: Path, name: str, text: str, ann: str, suffix: str = ".ann") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.txt").write_bytes(text.encode())
    (folder / f"{name}{suffix}").write_text(ann, encoding="utf-8")
    return folder


def test_discontinuous_spans_one_entity_per_fragment_unless_they_cover_the_text(tmp_path):
    text = "Pain in the left and right knee. Ann B."
    ann = "T1\tDisorder 0 4;27 31\tPain knee\nT2\tPerson 33 36;37 39\tAnn B.\nT3\tPart 12 16\tleft\n"
    rec = records(str(document(tmp_path, "d", text, ann)), "ner")["d"]
    assert [(e["text"], e["start"], e["end"], e["type"]) for e in rec["entities"]] == [
        ("Pain", 0, 4, "Disorder"), ("knee", 27, 31, "Disorder"), ("Ann B.", 33, 39, "Person"), ("left", 12, 16, "Part")
    ]  # fmt: skip
    with pytest.raises(FieldError, match="a relation end needs one contiguous span, found 2"):
        records(str(document(tmp_path, "d", text, ann + "R1\tAt Arg1:T1 Arg2:T3\n")), "re")


def test_overlapping_entities_crlf_and_a_byte_order_mark_keep_their_offsets(tmp_path):
    text = "\ufeffNew York City\r\nis big"
    ann = "T1\tCity 1 14\tNew York City\nT2\tState 1 9\tNew York\nT3\tAdj 19 22\tbig\n"
    rec = records(str(document(tmp_path, "d", text, ann)), "ner")["d"]
    assert rec["text"] == "New York City\nis big"
    assert [(e["text"], e["start"], e["end"]) for e in rec["entities"]] == [
        ("New York City", 0, 13),
        ("New York", 0, 8),
        ("big", 17, 20),
    ]


def test_bionlp_a1_a2_files(tmp_path):
    folder = document(tmp_path, "p", "IL-2 binds p53.", "T1\tProtein 0 4\tIL-2\nT2\tProtein 11 14\tp53\n", ".a1")
    (folder / "p.a2").write_text("T3\tBinding 5 10\tbinds\nE1\tBinding:T3 Theme:T1 Theme2:T2\n", encoding="utf-8")
    rec = records(str(folder), "ee", options={"annotations": [".a1", ".a2"]})["p"]
    assert [(a["role"], a["text"]) for a in rec["events"][0]["arguments"]] == [("Theme", "IL-2"), ("Theme2", "p53")]


@pytest.mark.parametrize(
    ("ann", "where", "field", "problem"),
    [
        ("T1\tPER 0 3\tAnn\nT2\tPER 4 20\tBob\n", "line 2", "T2", "offsets 4 20 are not a span of the 7-character text"),
        ("T1\tPER 0 3\tBob\n", "line 1", "T1", "its text 'Bob' is not the document's text at 0 3: 'Ann'"),
        ("T1\tPER 0 3\tAnn\nR1\tKnows Arg1:T1 Arg2:T9\n", "line 2", "R1", "T9 is no annotation of this document"),
        ("T1\tPER 0 3\tAnn\nE1\tMeet:T1 Agent:T1\nA1\tNegated E2\n", "line 3", "A1", "E2 is no annotation of this document"),
        ("T1\tPER 0 3\tAnn\nE1\tMeet:R1\n", "line 2", "E1", "the trigger R1 is no text-bound (T) annotation of this document"),
        ("T1\tPER 0 3\tAnn\nT1\tPER 4 7\tBob\n", "line 2", "T1", "the id is already used on line 1"),
        ("T1\tPER 0 3\tAnn\nR1\tKnows Arg1:T1\n", "line 2", "R1", "a relation needs two arguments, has 1"),
        ("T1\tPER zero 3\tAnn\n", "line 1", "T1", "expected 'Type start end[;start end...]', got 'PER zero 3'"),
        ("X1\tsomething\n", "line 1", "X1", "not a BRAT annotation line (T, R, E, A, M, N, # or * with its fields)"),
    ],
)
def test_a_broken_line_makes_its_document_the_error_naming_file_line_and_annotation(tmp_path, ann, where, field, problem):
    folder = document(document(tmp_path, "a", "Ann Bob", ann), "b", "Cy", "T1\tPER 0 2\tCy\n")
    rows = located(str(folder))
    assert [(w, str(r)) for w, r in rows if isinstance(r, HumInputError)] == [
        (where, f"{folder / 'a.ann'}: {where}: field '{field}': {problem}")
    ]
    assert [r["id"] for _, r in rows if isinstance(r, dict)] == ["b"]


def test_quarantine_sets_a_broken_document_aside_and_keeps_the_others(tmp_path):
    folder = document(document(tmp_path / "docs", "a", "Ann", "T1\tPER 0 9\tAnn\n"), "b", "Cy", "T1\tPER 0 2\tCy\n")
    cfg = {"name": "toy", "task": "ner", "lang": "en", "loader": "brat", "train": str(folder)}
    assert prepare_dataset(cfg, PARAMS, 13, tmp_path)["quarantined"] == 1
    reason = "offsets 0 9 are not a span of the 3-character text"
    assert list(read_jsonl(tmp_path / "toy.quarantine.jsonl")) == [
        {"file": str(folder / "a.ann"), "where": "line 1", "field": "T1", "reason": reason}
    ]


def test_missing_text_file_bad_bytes_and_empty_folder(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.ann").write_text("T1\tPER 0 3\tAnn\n", encoding="utf-8")
    (folder / "b.txt").write_bytes(b"Bj\xf6rn")
    (folder / "b.ann").write_text("", encoding="utf-8")
    assert [(w, str(r)) for w, r in located(str(folder))] == [
        ("a", f"{folder / 'a.ann'}: file: field '<file>': no text file a.txt beside it"),
        ("line 1", f"{folder / 'b.txt'}: line 1: field '<encoding>': not UTF-8 text (invalid start byte)"),
    ]
    (tmp_path / "empty").mkdir()
    with pytest.raises(HumInputError, match=r"empty: folder: field '<file>': no annotation files \(.ann\) in the folder"):
        located(str(tmp_path / "empty"))
    with pytest.raises(HumInputError, match="nope: file: field '<file>': no such file or folder"):
        located([str(folder), str(tmp_path / "nope")])
