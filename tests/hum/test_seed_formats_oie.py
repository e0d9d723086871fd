"""Open IE tab files: the OIE2016 benchmark layout, and CaRB with its sentence list (sentences without tuples)."""

from __future__ import annotations

import pytest

from conftest import DATA, real
from hum.errors import HumInputError
from hum.io import read_jsonl
from hum.loaders import load
from hum.normalise import normalise

OIE2016 = DATA / "raw/oie/oie2016/dev.oie"

CARB = DATA / "raw/oie/carb"


def located(loader, path, **cfg):
    return [
        (w, str(r) if isinstance(r, HumInputError) else r)
        for w, r in load({"name": "o", "loader": loader, "train": str(path), **cfg}, "train")
    ]


@real(OIE2016)
def test_oie2016_full_predicate_is_the_relation():
    lines = [line.split("\t") for line in OIE2016.read_text(encoding="utf-8").splitlines()]
    rows = located("oie2016", OIE2016)
    assert [w for w, _ in rows] == [f"line {n}" for n in range(1, 13, 2)]
    by_sentence = {}
    for sentence, _, predicate, first, *rest in lines:
        by_sentence.setdefault(sentence, []).append([first, predicate, *rest])
    assert [(r["sentence"], r["tuples"]) for _, r in rows] == list(by_sentence.items())
    spirits = normalise(rows[1][1], {"name": "o", "task": "oie", "lang": "en"}, "1")
    assert spirits["tuples"] == [["The spirits", "could care about", "less"], ["people", "might believe in", "spirits"]]


def test_carb_sentences_option_keeps_sentences_without_tuples_as_empty_records():
    options = {"sentences": {"train": str(CARB / "dev.txt")}}
    rows = located("carb", CARB / "gold_dev.tsv", options=options)
    sample = list(read_jsonl(DATA / "oie/carb_dev.jsonl"))
    assert len(rows) == len(sample) == 641
    assert [(r["sentence"], r["tuples"]) for _, r in rows] == [(s["sentence"], s["tuples"]) for s in sample]
    empty = [w for w, r in rows if not r["tuples"]]
    assert len(empty) == 3
    assert all(w.startswith("sentences line ") for w in empty)
    assert located("carb", CARB / "gold_dev.tsv", options={"sentences": {"eval": "x.txt"}}) == located(
        "carb", CARB / "gold_dev.tsv"
    )


def test_a_gold_sentence_missing_from_the_sentences_file_is_an_error(tmp_path):
    gold = tmp_path / "gold.tsv"
    gold.write_text("A met B .\tmet\tA\tB\nC ran .\tran\tC\n", encoding="utf-8")
    (tmp_path / "sentences.txt").write_text("Nothing here .\nA met B .\n", encoding="utf-8")
    rows = located("carb", gold, options={"sentences": {"train": str(tmp_path / "sentences.txt")}})
    assert rows == [
        ("sentences line 1", {"sentence": "Nothing here .", "tuples": []}),
        ("line 1", {"sentence": "A met B .", "tuples": [["A", "met", "B"]]}),
        ("line 2", f"{gold}: line 2: field 'sentence': the sentence is not in the sentences file {tmp_path / 'sentences.txt'}"),
    ]


@pytest.mark.parametrize(
    ("loader", "line", "problem"),
    [
        ("carb", "A met B .\tmet", "expected a sentence, a relation and an argument separated by tabs"),
        (
            "oie2016",
            "A met B .\tmet\tmet",
            "expected a sentence, a predicate head, a predicate and an argument separated by tabs",
        ),
    ],
)
def test_a_short_line_makes_its_whole_sentence_the_error(tmp_path, loader, line, problem):
    path = tmp_path / "gold.tsv"
    head = "met\t" if loader == "oie2016" else ""
    path.write_text(f"A met B .\t{head}met\tA\tB\nC ran .\t{head.replace('met', 'ran')}ran\tC\n{line}\n", encoding="utf-8")
    assert located(loader, path) == [
        ("line 3", f"{path}: line 3: field 'tuples': {problem}"),
        ("line 2", {"sentence": "C ran .", "tuples": [["C", "ran"]]}),
    ]


def test_sentences_option_must_name_a_file_per_split(tmp_path):
    with pytest.raises(HumInputError) as info:
        located("carb", CARB / "gold_dev.tsv", options={"sentences": str(CARB / "dev.txt")})
    assert str(info.value).startswith("params.yaml: datasets.o: field 'options.sentences': expected a file per split")
    with pytest.raises(HumInputError) as info:
        located("carb", CARB / "gold_dev.tsv", options={"delimiter": ";"})
    assert str(info.value).startswith("params.yaml: datasets.o: field 'options': not options of the carb loader (")
