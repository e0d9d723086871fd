"""Issue 15: bad seed input is rejected as `<file>: <where>: field '<field>': <problem>`, or quarantined; no bare traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hum.errors import HumInputError
from hum.prepare import BadDatasetsError, prepare_all, prepare_dataset

PARAMS = {"max_records": 100, "eval_fraction": 0.0, "on_error": "raise"}
TEXT = "Ann met Bob"
NER_OK = {"id": "ok", "text": TEXT, "entities": [{"start": 0, "end": 3, "text": "Ann", "type": "PER"}]}
CLS_OK = {"id": "ok", "text": "hello there", "label": "greet"}
MRC_OK = {"id": "ok", "context": TEXT, "question": "Who met Bob?", "answers": [{"text": "Ann", "answer_start": 0}]}
BOM = "\ufeff"
NAN = float("nan")


def ner(**entity: Any) -> dict[str, Any]:
    return {"id": "bad", "text": TEXT, "entities": [{"start": 0, "end": 3, "text": "Ann", "type": "PER", **entity}]}


def jsonl(*recs: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in recs).encode()


def cls(label: Any, key: str = "label") -> dict[str, Any]:
    return {"id": "bad", "text": "hi", key: label}


NO_RECORDS = "no records (the file holds only blank lines or nothing to read)"
NOT_UTF8 = "not UTF-8 text (invalid start byte)"
ONE_COLUMN = "expected a token and a tag separated by a tab"
SHORT_CARB = "expected a sentence, a relation and an argument separated by tabs"
INF_ANSWER = b'{"id": "bad", "context": "Ann", "question": "Who?", "answers": [{"text": "Ann", "answer_start": Infinity}]}\n'
INF_TOKEN = b'{"id": "bad", "tokens": ["Ann"], "entities": [{"start": 0, "end": Infinity, "type": "PER"}]}\n'
TOKEN_TRUE = {"id": "bad", "tokens": ["Ann"], "entities": [{"start": True, "end": 1, "type": "PER"}]}
ANSWER_TRUE = {**MRC_OK, "id": "bad", "answers": [{"text": "Ann", "answer_start": True}]}
NOT_INT = "offset must be an integer, got"

J, L2, TYPE0 = "jsonl", "line 2", "entities[0].type"
BAD_CSV_ROW = b"text,label\nhello,greet\nB\xffob,greet\nbye,greet\n"
BAD_JSON_ARRAY = b'[{"id": "ok", "text": "hi", "label": "greet"},\n {"id": "\xff"}]'
BAD_SQUAD = b'{"data": [{"title": "t",\n"paragraphs": [{"context": "\xff"}]}]}'
LONG, CAP = "x" * 8001, "prepare.max_text_chars=8000"  # the default, as in conf/config.yaml
SHORT_CSV = "1 fields where the header has 2"
# case -> (task, loader, file bytes, config extras, where, field, problem)
CASES: dict[str, tuple[str, str, bytes, dict[str, Any], str, str, str]] = {
    "02 nan label": ("cls", J, jsonl(CLS_OK, cls(NAN)), {}, L2, "label", "label must be text, got nan"),
    "02 nan entity type": ("ner", J, jsonl(NER_OK, ner(type=NAN)), {}, L2, TYPE0, "label must be text, got nan"),
    "03 start true": (
        "ner", J, jsonl(NER_OK, ner(start=True)), {}, L2, "entities[0]", "start and end must be integers, got True and 3",
    ),
    "03 token start true": ("ner", J, jsonl(TOKEN_TRUE), {}, "line 1", "entities[0].start", f"{NOT_INT} True"),
    "03 answer_start true": ("mrc", J, jsonl(MRC_OK, ANSWER_TRUE), {}, L2, "answers[0].answer_start", f"{NOT_INT} True"),
    "04 label with |": ("cls", J, jsonl(CLS_OK, cls("a|b")), {}, L2, "label", "label 'a|b' contains '|'"),
    "04 label with newline": ("cls", J, jsonl(CLS_OK, cls("a\nb")), {}, L2, "label", "label 'a\\nb' contains a line break"),
    "04 label with comma": ("cls", J, jsonl(CLS_OK, cls("a, b")), {}, L2, "label", "label 'a, b' contains ', '"),
    "04 empty label": ("cls", J, jsonl(CLS_OK, cls(" ")), {}, L2, "label", "label ' ' is empty"),
    "04 entity type with |": ("ner", J, jsonl(NER_OK, ner(type="P|ER")), {}, L2, TYPE0, "label 'P|ER' contains '|'"),
    "05 empty question": ("mrc", J, jsonl(MRC_OK, MRC_OK | {"id": "bad", "question": " "}), {}, L2, "question", "empty question"),
    "06 labels as text": (
        "cls", J, jsonl(CLS_OK, cls("greet", "labels")), {"multi_label": True},
        L2, "labels", "expected a list of labels, got 'greet'",
    ),
    "07 blank lines": ("ner", J, b"\n  \n\n", {}, "file", "<file>", NO_RECORDS),
    "07 blank conll": ("ner", "conll", b"\n\n", {}, "file", "<file>", NO_RECORDS),
    "07 empty file": ("ner", J, b"", {}, "file", "<file>", "empty file"),
    "09 integer and text labels": ("ner", J, jsonl(NER_OK, ner(type=3)), {}, L2, TYPE0, "label must be text, got 3"),
    "10 infinity offset": ("mrc", J, INF_ANSWER, {}, "line 1", "answers[0].answer_start", f"{NOT_INT} inf"),
    "10 infinity token offset": ("ner", J, INF_TOKEN, {}, "line 1", "entities[0].end", f"{NOT_INT} inf"),
    "12 one-column conll": ("ner", "conll", b"Ann\tB-PER\n\nBob\n", {}, "line 3", "tags", ONE_COLUMN),
    "13 non-utf8 conll": ("ner", "conll", b"Ann\tB-PER\n\nB\xffob\tB-PER\n", {}, "line 3", "<encoding>", NOT_UTF8),
    "13 non-utf8 jsonl": ("ner", J, jsonl(NER_OK) + b'{"id": "\xff"}\n', {}, L2, "<encoding>", NOT_UTF8),
    "13 non-utf8 carb": ("oie", "carb", b"s\tr\ta\ns\xff\tr\ta\n", {}, L2, "<encoding>", NOT_UTF8),
    "13 short carb row": ("oie", "carb", b"s\tr\ta\nt\tr\n", {}, L2, "tuples", SHORT_CARB),
    "13 non-utf8 csv row": ("cls", "csv", BAD_CSV_ROW, {}, "line 3", "<encoding>", NOT_UTF8),
    "13 non-utf8 tsv row": ("cls", "tsv", BAD_CSV_ROW.replace(b",", b"\t"), {}, "line 3", "<encoding>", NOT_UTF8),
    "13 short csv row": ("cls", "csv", b"text,label\nhello,greet\nhi\n", {}, "line 3", "<csv>", SHORT_CSV),
    "13 non-utf8 json array": ("cls", "json", BAD_JSON_ARRAY, {}, L2, "<encoding>", NOT_UTF8),
    "13 non-utf8 squad": ("mrc", "squad", BAD_SQUAD, {}, L2, "<encoding>", NOT_UTF8),
    "05 question of line breaks": (
        "mrc", J, jsonl(MRC_OK, MRC_OK | {"id": "bad", "question": "\r\n\n"}), {}, L2, "question", "empty question",
    ),
    "16 text over max_text_chars": (
        "cls", J, jsonl(CLS_OK, cls("greet") | {"text": LONG}), {}, L2, "text", f"{len(LONG)} characters, over {CAP}",
    ),
}  # fmt: skip
CONFIG_CASES = {
    "08 unknown task": (
        {"task": "nerr"},
        "unknown task 'nerr'; choose one of ['cls', 'ee', 'general', 'mrc', 'ner', 'oie', 're']",
    ),
    "11 no task": ({}, "missing; choose one of ['cls', 'ee', 'general', 'mrc', 'ner', 'oie', 're']"),
}


def config(path: Path, task: str | None, loader: str = "jsonl", **extra: Any) -> dict[str, Any]:
    cfg = {"name": "toy", "lang": "en", "loader": loader, "train": str(path), **extra}
    return cfg | ({"task": task} if task else {})


def case_file(tmp_path: Path, case: str, loader: str, content: bytes) -> Path:
    path = tmp_path / f"seeds.{loader}"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_rejected_with_location(tmp_path: Path, case: str) -> None:
    task, loader, content, extra, where, field, problem = CASES[case]
    path = case_file(tmp_path, case, loader, content)
    with pytest.raises(HumInputError) as info:
        prepare_dataset(config(path, task, loader, **extra), PARAMS, 13, tmp_path / "out")
    assert str(info.value).split("\n")[0] == f"{path}: {where}: field '{field}': {problem}"


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][4] != "file"))
def test_quarantined_and_going_on(tmp_path: Path, case: str) -> None:
    task, loader, content, extra, where, field, problem = CASES[case]
    path = case_file(tmp_path, case, loader, content)
    out = tmp_path / "out"
    counts = prepare_dataset(config(path, task, loader, **extra), PARAMS | {"on_error": "quarantine"}, 13, out)
    assert counts["quarantined"] == 1
    quarantined = [json.loads(line) for line in (out / "toy.quarantine.jsonl").read_text(encoding="utf-8").splitlines()]
    assert quarantined == [{"file": str(path), "where": where, "field": field, "reason": problem}]


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][4] == "file"))
def test_file_errors_stop_quarantine_too(tmp_path: Path, case: str) -> None:
    task, loader, content, extra, *_ = CASES[case]
    path = case_file(tmp_path, case, loader, content)
    with pytest.raises(HumInputError, match="^" + str(path)):
        prepare_dataset(config(path, task, loader, **extra), PARAMS | {"on_error": "quarantine"}, 13, tmp_path / "out")


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
@pytest.mark.parametrize("on_error", ["raise", "quarantine"])
def test_config_errors_are_not_data(tmp_path: Path, case: str, on_error: str) -> None:
    extra, problem = CONFIG_CASES[case]
    path = case_file(tmp_path, case, "jsonl", jsonl(NER_OK))
    cfg = {"name": "toy", "lang": "en", "loader": "jsonl", "train": str(path), **extra}
    with pytest.raises(HumInputError) as info:
        prepare_dataset(cfg, PARAMS | {"on_error": on_error}, 13, tmp_path / "out")
    assert str(info.value) == f"params.yaml: datasets.toy: field 'task': {problem}"


QA = {"id": "q", "question": "Who?", "answers": [{"text": "Ann", "answer_start": 0}]}
# (1) and (14): a byte-order mark is dropped at load, in every text format, and the records read as without it.
BOM_CASES: dict[str, tuple[str, str, bytes, list[str]]] = {
    "conll": ("ner", "conll", b"-DOCSTART-\tO\n\nAnn\tB-PER\nmet\tO\n", ["Ann met"]),
    "conll no docstart": ("ner", "conll", b"Ann\tB-PER\nmet\tO\n", ["Ann met"]),
    "carb": ("oie", "carb", b"Ann met Bob\tmet\tAnn\tBob\n", ["Ann met Bob"]),
    "jsonl": ("ner", "jsonl", jsonl(NER_OK), [TEXT]),
    "csv": ("cls", "csv", b"text,label\nhello there,greet\n", ["hello there"]),
    "tsv": ("cls", "tsv", b"text\tlabel\nhello there\tgreet\n", ["hello there"]),
    "json": ("ner", "json", json.dumps([NER_OK]).encode(), [TEXT]),
    "squad": (
        "mrc", "squad",
        json.dumps({"data": [{"title": "t", "paragraphs": [{"context": TEXT, "qas": [QA]}]}]}).encode(),
        [TEXT],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BOM_CASES))
def test_bom_is_dropped(tmp_path: Path, case: str) -> None:
    task, loader, content, texts = BOM_CASES[case]
    out = tmp_path / "out"
    results = []
    for name, data in (("plain", content), ("bom", BOM.encode() + content)):
        path = tmp_path / name / f"seeds.{loader}"
        path.parent.mkdir()
        path.write_bytes(data)
        prepare_dataset(config(path, task, loader), PARAMS | {"on_error": "quarantine"}, 13, out / name)
        results.append([json.loads(line) for line in (out / name / "toy.train.jsonl").read_text(encoding="utf-8").splitlines()])
        assert (out / name / "toy.quarantine.jsonl").read_text(encoding="utf-8") == ""
    plain, with_bom = results
    assert with_bom == plain
    assert [r["text"] for r in plain] == texts


@pytest.mark.parametrize(("loader", "sep"), [("csv", b","), ("tsv", b"\t")])
def test_a_csv_row_with_bad_bytes_is_set_aside_and_the_rest_kept(tmp_path, loader, sep):
    path = case_file(tmp_path, "bad row", loader, BAD_CSV_ROW.replace(b",", sep))
    out = tmp_path / "out"
    counts = prepare_dataset(config(path, "cls", loader), PARAMS | {"on_error": "quarantine"}, 13, out)
    assert (counts["train"], counts["quarantined"]) == (2, 1)
    kept = [json.loads(line) for line in (out / "toy.train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in kept] == ["hello", "bye"]


def test_an_unreadable_document_is_its_datasets_problem_and_other_datasets_go_on(tmp_path):
    """As the stage does: one dataset after another; the unreadable one is quarantined whole, the next one is prepared."""
    bad = tmp_path / "bad" / "seeds.json"
    good = tmp_path / "good" / "seeds.jsonl"
    for path, content in ((bad, BAD_JSON_ARRAY), (good, jsonl(CLS_OK))):
        path.parent.mkdir()
        path.write_bytes(content)
    configs = [config(bad, "cls", "json") | {"name": "broken"}, config(good, "cls") | {"name": "fine"}]
    out = tmp_path / "out"
    counts = {cfg["name"]: prepare_dataset(cfg, PARAMS | {"on_error": "quarantine"}, 13, out) for cfg in configs}
    assert counts == {
        "broken": {"train": 0, "eval": 0, "decontaminated": 0, "quarantined": 1},
        "fine": {"train": 1, "eval": 0, "decontaminated": 0, "quarantined": 0},
    }
    assert json.loads((out / "broken.quarantine.jsonl").read_text(encoding="utf-8")) == {
        "file": str(bad), "where": "line 2", "field": "<encoding>", "reason": NOT_UTF8,
    }  # fmt: skip


def test_one_run_reports_every_failing_dataset_and_publishes_nothing(tmp_path: Path) -> None:
    good = case_file(tmp_path, "good", "jsonl", jsonl(NER_OK))
    broken = {name: tmp_path / f"{name}.jsonl" for name in ("a", "b")}
    broken["a"].write_bytes(b'{"text": 1}\n')
    broken["b"].write_bytes(b"not json\n")
    datasets = {name: {**config(path, "ner"), "name": name} for name, path in {**broken, "ok": good}.items()}
    with pytest.raises(BadDatasetsError) as info:
        prepare_all(datasets, PARAMS, 13, tmp_path / "out")
    lines = str(info.value).splitlines()
    assert lines[0] == "bad input in 2 of 3 datasets, nothing published:"
    assert lines[1].startswith(f"{broken['a']}: line 1: field ")
    assert lines[2] == f"{broken['b']}: line 1: field '<json>': malformed JSON: Expecting value"
