from __future__ import annotations

import csv
import json

import pytest

from conftest import DATA
from hum.errors import HumInputError
from hum.loaders import load

CONLL = DATA / "raw/ner/wnut17/emerging.dev.conll"


def test_conll_sentences_are_blank_line_blocks():
    rows = list(load("conll", CONLL))
    blocks = [b for b in CONLL.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    assert len(rows) == len(blocks) == 1009
    where, first = rows[0]
    assert where == "line 1"
    assert first["tokens"] == [ln.split("\t")[0] for ln in blocks[0].splitlines()]
    assert first["tags"] == [ln.split("\t")[1] for ln in blocks[0].splitlines()]
    assert rows[1][0] == f"line {len(blocks[0].splitlines()) + 2}"


def test_conll_tokens_match_normalised_sample():
    rows = [r for _, r in load("conll", CONLL)]
    sample = [json.loads(line) for line in (DATA / "ner/wnut17_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["tokens"] for r in rows] == [s["tokens"] for s in sample]
    assert [r["tags"] for r in rows] == [s["tags"] for s in sample]


def test_conll_missing_tag(tmp_path):
    path = tmp_path / "x.conll"
    path.write_text("a\tO\nb\tB-PER\n\nlonely\n", encoding="utf-8")
    with pytest.raises(HumInputError) as info:
        list(load("conll", path))
    assert str(info.value) == f"{path}: line 4: field 'tags': expected a token and a tag separated by a tab"


def test_csv_banking77():
    path = DATA / "raw/cls/banking77/train.csv"
    rows = list(load("csv", path))
    with path.open(encoding="utf-8", newline="") as fh:
        expected = list(csv.DictReader(fh))
    assert len(rows) == len(expected)
    assert rows[0] == ("line 2", {"text": "I am still waiting on my card?", "category": "card_arrival"})
    assert all(set(r) == {"text", "category"} for _, r in rows)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_squad_xquad(lang):
    path = DATA / f"raw/mrc/xquad/xquad.{lang}.json"
    rows = list(load("squad", path))
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    assert len(rows) == sum(len(p["qas"]) for a in data for p in a["paragraphs"]) == 1190
    where, row = rows[0]
    assert where == "data[0].paragraphs[0].qas[0]"
    assert row["id"] == data[0]["paragraphs"][0]["qas"][0]["id"]
    for _, row in rows:
        for a in row["answers"]:
            assert row["context"][a["answer_start"] : a["answer_start"] + len(a["text"])] == a["text"]


def test_squad_not_squad(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"version": 1}', encoding="utf-8")
    with pytest.raises(HumInputError) as info:
        list(load("squad", path))
    assert str(info.value) == f"{path}: file: field 'data': not SQuAD JSON ('data')"


def test_jsonl_malformed_line(tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_text('{"id": "a"}\n\n{"id": "b"}\n{"id": \n', encoding="utf-8")
    it = load("jsonl", path)
    assert [w for w, _ in (next(it), next(it))] == ["line 1", "line 3"]
    with pytest.raises(HumInputError) as info:
        next(it)
    msg = str(info.value)
    assert str(path) in msg
    assert "line 4" in msg
    assert "field '<json>'" in msg
    assert msg == f"{path}: line 4: field '<json>': malformed JSON: Expecting value"


def test_jsonl_not_an_object(tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(HumInputError, match="line 1: field '<json>': expected a JSON object"):
        list(load("jsonl", path))


@pytest.mark.parametrize(
    ("loader", "good_line"), [("jsonl", '{"text": "ok"}'), ("conll", "ok\tO"), ("csv", "text,category")]
)
def test_non_utf8_file_is_an_input_error(tmp_path, loader, good_line):
    path = tmp_path / "latin1.txt"
    path.write_bytes(f"{good_line}\ncaf\xe9\tO\n".encode("latin-1"))
    with pytest.raises(HumInputError) as info:
        list(load(loader, path))
    assert str(info.value) == f"{path}: line 2: field '<encoding>': not UTF-8 text (invalid continuation byte)"


def test_non_utf8_line_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": "\xff"}\n')
    with pytest.raises(HumInputError) as info:
        list(load("jsonl", path))
    assert info.value.where == "line 3"


def test_unknown_loader():
    with pytest.raises(ValueError, match=r"unknown loader 'xml'; choose one of \['conll', 'csv', 'jsonl', 'squad'\]"):
        load("xml", "x")
