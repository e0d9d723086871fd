from __future__ import annotations

import csv
import json
from pathlib import Path

import datasets
import pytest
import yaml

from conftest import DATA
from hum.errors import HumInputError
from hum.loaders import FILE_LOADERS, load
from hum.normalise import FieldError, normalise

CONLL = DATA / "raw/ner/wnut17/emerging.dev.conll"
BANKING = DATA / "raw/cls/banking77/train.csv"
CARB = DATA / "raw/oie/carb/gold_dev.tsv"
PROJECT = Path(__file__).resolve().parents[2]
MRC = {"name": "toy_mrc", "task": "mrc", "lang": "en"}


def read_all(cfg, split="train"):
    """A loader's rows; the first bad row (raised, or yielded as its error for quarantine) raises here."""
    for where, row in load(cfg, split):
        if isinstance(row, HumInputError):
            raise row
        yield where, row


def read(loader, path, **cfg):
    """Every located row of a one-file dataset's train split."""
    return list(read_all({"loader": loader, "train": str(path), **cfg}, "train"))


def jsonl_sample(name, n):
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()[:n]]


def banking_rows():
    with BANKING.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def squad_qas(path):
    """SQuAD JSON flattened to one row per question, answers as HF-style columns (as on the Hub)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [
        {
            "id": qa["id"],
            "context": p["context"],
            "question": qa["question"],
            "answers": {"text": [a["text"] for a in qa["answers"]], "answer_start": [a["answer_start"] for a in qa["answers"]]},
        }
        for art in data
        for p in art["paragraphs"]
        for qa in p["qas"]
    ]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_conll_sentences_are_blank_line_blocks():
    rows = read("conll", CONLL)
    blocks = [b for b in CONLL.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    assert len(rows) == len(blocks) == 1009
    where, first = rows[0]
    assert where == "line 1"
    assert first["tokens"] == [ln.split("\t")[0] for ln in blocks[0].splitlines()]
    assert first["tags"] == [ln.split("\t")[1] for ln in blocks[0].splitlines()]
    assert rows[1][0] == f"line {len(blocks[0].splitlines()) + 2}"


def test_conll_tokens_match_normalised_sample():
    rows = [r for _, r in read("conll", CONLL)]
    sample = [json.loads(line) for line in (DATA / "ner/wnut17_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["tokens"] for r in rows] == [s["tokens"] for s in sample]
    assert [r["tags"] for r in rows] == [s["tags"] for s in sample]


@pytest.mark.parametrize("name", ["train.txt", "dev.txt"])
def test_conll_crossner(name):
    path = DATA / "raw/ner/crossner_ai" / name
    rows = read("conll", path)
    blocks = [b.splitlines() for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    assert [r["tokens"] for _, r in rows] == [[ln.split("\t")[0] for ln in b] for b in blocks]
    assert [r["tags"] for _, r in rows] == [[ln.split("\t")[1] for ln in b] for b in blocks]
    cfg = {"name": "crossner_ai", "task": "ner", "lang": "en"}
    for i, (_, row) in enumerate(rows):
        rec = normalise(row, cfg, i)
        assert all(rec["text"][e["start"] : e["end"]] == e["text"] for e in rec["entities"])
    assert sum(len(normalise(r, cfg, i)["entities"]) for i, (_, r) in enumerate(rows)) > 0


def test_csv_banking77_keeps_every_cell_as_written():
    rows = read("csv", BANKING)
    expected = banking_rows()
    assert len(rows) == len(expected) == 10003
    assert rows[0] == ("record 0", {"text": "I am still waiting on my card?", "category": "card_arrival"})
    assert [r for _, r in rows] == expected
    assert [w for w, _ in rows[:3]] == ["record 0", "record 1", "record 2"]


def test_csv_text_is_never_parsed_as_number_or_missing(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('text,category\nNA,a\n007,b\n"multi\nline, quoted",c\n', encoding="utf-8")
    assert [r["text"] for _, r in read("csv", path)] == ["NA", "007", "multi\nline, quoted"]


def test_tsv_from_banking77_slice(tmp_path):
    expected = banking_rows()[:200]
    path = tmp_path / "banking.tsv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["text", "category"], delimiter="\t")
        writer.writeheader()
        writer.writerows(expected)
    assert [r for _, r in read("tsv", path)] == expected


def test_parquet_from_carb_slice(tmp_path):
    expected = [{k: r[k] for k in ("id", "sentence", "tuples")} for r in jsonl_sample("oie/carb_dev.jsonl", 50)]
    path = tmp_path / "carb.parquet"
    datasets.Dataset.from_list(expected).to_parquet(path)
    rows = read("parquet", path)
    assert [r for _, r in rows] == expected
    assert rows[-1][0] == "record 49"


@pytest.mark.parametrize("shape", ["array", "lines"])
def test_json_from_wnut17_slice(tmp_path, shape):
    expected = jsonl_sample("ner/wnut17_dev.jsonl", 100)
    path = tmp_path / "wnut.json"
    if shape == "array":
        path.write_text(json.dumps(expected, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        write_jsonl(path, expected)
    rows = read("json", path)
    assert [r for _, r in rows] == expected
    assert rows[3][0] == "record 3"


def as_read(rows):
    """Rows as hum reads them: a struct of lists (how `datasets` stores a sequence of objects) as a list of objects."""
    return [{**r, "answers": [dict(zip(r["answers"], v, strict=True)) for v in zip(*r["answers"].values(), strict=True)]}
            for r in rows]  # fmt: skip


def test_disk_dataset_dict_and_single_dataset(tmp_path):
    qas = squad_qas(DATA / "raw/mrc/xquad/xquad.zh.json")
    datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(qas[:30]), "validation": datasets.Dataset.from_list(qas[30:40])}
    ).save_to_disk(tmp_path / "dict")
    cfg = {"loader": "disk", "path": str(tmp_path / "dict"), "train": "train", "eval": "validation"}
    assert [r for _, r in read_all(cfg, "train")] == as_read(qas[:30])
    assert [r for _, r in read_all(cfg, "eval")] == as_read(qas[30:40])
    datasets.Dataset.from_list(qas[:5]).save_to_disk(tmp_path / "one")
    one = {"loader": "disk", "path": str(tmp_path / "one"), "train": "train", "eval": "test"}
    assert [w for w, _ in read_all(one, "train")] == [f"record {i}" for i in range(5)]
    with pytest.raises(HumInputError) as info:
        list(read_all(one, "eval"))
    assert str(info.value) == (
        f"{tmp_path / 'one'}[test]: dataset: field '<split>': the folder holds one Dataset, which serves only as the train split"
    )
    with pytest.raises(HumInputError) as info:
        list(read_all(cfg | {"eval": "dev"}, "eval"))
    assert (
        str(info.value)
        == f"{tmp_path / 'dict'}[dev]: dataset: field '<split>': no split 'dev'; the folder has ['train', 'validation']"
    )


def test_disk_missing_folder(tmp_path):
    cfg = {"loader": "disk", "path": str(tmp_path / "nope"), "train": "train"}
    with pytest.raises(HumInputError) as info:
        list(read_all(cfg, "train"))
    assert (
        str(info.value)
        == f"{tmp_path / 'nope'}[train]: dataset: field '<dataset>': cannot load: Directory {tmp_path / 'nope'} not found"
    )


def test_hub_call_on_a_local_folder_normalises_hub_squad(tmp_path):
    """The same `load_dataset(name, config, split=, revision=)` call a Hub name gets; answers as Hub columns."""
    qas = squad_qas(DATA / "raw/mrc/xquad/xquad.zh.json")
    folder = tmp_path / "xquad_zh"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", qas[:40])
    write_jsonl(folder / "validation.jsonl", qas[40:50])
    cfg = {"loader": "hub", "path": str(folder), "config_name": None, "revision": None, "train": "train", "eval": "validation"}
    assert [r for _, r in read_all(cfg, "eval")] == as_read(qas[40:50])
    records = [normalise(row, MRC, i) for i, (_, row) in enumerate(read_all(cfg, "train"))]
    assert len(records) == 40
    assert all(a["text"] and rec["text"][a["start"] : a["end"]] == a["text"] for rec in records for a in rec["answers"])
    with pytest.raises(HumInputError) as info:
        list(read_all(cfg | {"eval": "test"}, "eval"))
    assert str(info.value) == (
        f"{folder}[test]: dataset: field '<dataset>': "
        "cannot load: Unknown split \"test\". Should be one of ['train', 'validation']."
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_squad_xquad(lang):
    path = DATA / f"raw/mrc/xquad/xquad.{lang}.json"
    rows = read("squad", path)
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    assert len(rows) == sum(len(p["qas"]) for a in data for p in a["paragraphs"]) == 1190
    where, row = rows[0]
    assert where == "data[0].paragraphs[0].qas[0]"
    assert row["id"] == data[0]["paragraphs"][0]["qas"][0]["id"]
    for i, (_, row) in enumerate(rows):
        assert row["answers"]
        for a in row["answers"]:
            assert row["context"][a["answer_start"] : a["answer_start"] + len(a["text"])] == a["text"]
        rec = normalise(row, MRC | {"lang": lang}, i)
        assert all(rec["text"][a["start"] : a["end"]] == a["text"] for a in rec["answers"])


def test_squad_v2_unanswerable(tmp_path):
    context = "Normans came from Normandy. 诺曼人来自诺曼底。"
    qas = [
        {"id": "q1", "question": "Where from?", "is_impossible": False, "answers": [{"text": "Normandy", "answer_start": 18}]},
        {
            "id": "q2",
            "question": "When did Normandy sink?",
            "is_impossible": True,
            "answers": [],
            "plausible_answers": [{"text": "Normandy", "answer_start": 18}],
        },
        {"id": "q3", "question": "来自哪里？", "is_impossible": False, "answers": [{"text": "诺曼底", "answer_start": 33}]},
    ]
    path = tmp_path / "v2.json"
    path.write_text(json.dumps({"version": "v2.0", "data": [{"title": "N", "paragraphs": [{"context": context, "qas": qas}]}]}))
    rows = [r for _, r in read("squad", path)]
    assert all("plausible_answers" not in r for r in rows)
    answers = [normalise(r, MRC, i)["answers"] for i, r in enumerate(rows)]
    assert answers == [[{"text": "Normandy", "start": 18, "end": 26}], [], [{"text": "诺曼底", "start": 33, "end": 36}]]
    with pytest.raises(FieldError, match="field 'answers': is_impossible is true but answers are given"):
        normalise(rows[1] | {"answers": rows[0]["answers"]}, MRC, 1)


def test_squad_not_squad(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"version": 1}', encoding="utf-8")
    with pytest.raises(HumInputError) as info:
        read("squad", path)
    assert str(info.value) == f"{path}: file: field 'data': not SQuAD JSON ('data')"


def test_carb_gold_dev_matches_normalised_sample():
    rows = read("carb", CARB)
    lines = [ln.split("\t") for ln in CARB.read_text(encoding="utf-8").splitlines()]
    distinct = {cells[0].strip() for cells in lines}
    sample = jsonl_sample("oie/carb_dev.jsonl", 10_000)
    gold = {s["sentence"]: s["tuples"] for s in sample}
    assert len(rows) == len({r["sentence"] for _, r in rows}) == len(distinct) == 638
    # carb_dev.jsonl has a record for every sentence of dev.txt: 638 with gold, 3 that the gold TSV lacks.
    assert len(sample) == 641
    assert sorted(s["sentence"] for s in sample if s["tuples"]) == sorted(distinct)
    assert all(r["tuples"] == gold[r["sentence"]] for _, r in rows)
    assert rows[0] == ("line 1", {"sentence": lines[0][0].strip(), "tuples": gold[lines[0][0].strip()]})


def test_carb_row_needs_an_argument(tmp_path):
    path = tmp_path / "gold.tsv"
    path.write_text("A met B .\tmet\tA\tB\nA met B .\tmet\n", encoding="utf-8")
    with pytest.raises(HumInputError) as info:
        read("carb", path)
    assert str(info.value) == f"{path}: line 2: field 'tuples': expected a sentence, a relation and an argument separated by tabs"


@pytest.mark.parametrize(("name", "count"), [("xquad_zh", 1190), ("carb", 638), ("banking77", 10003)])
def test_dataset_configs_load_their_seeds(monkeypatch, name, count):
    cfg = yaml.safe_load((PROJECT / "conf/datasets" / f"{name}.yaml").read_text(encoding="utf-8"))
    monkeypatch.chdir(PROJECT)
    assert cfg["name"] == name
    assert len(list(read_all(cfg, "train"))) == count


def test_jsonl_malformed_line(tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_text('{"id": "a"}\n\n{"id": "b"}\n{"id": \n', encoding="utf-8")
    it = read_all({"loader": "jsonl", "train": str(path)}, "train")
    assert [w for w, _ in (next(it), next(it))] == ["line 1", "line 3"]
    with pytest.raises(HumInputError) as info:
        next(it)
    assert str(info.value) == f"{path}: line 4: field '<json>': malformed JSON: Expecting value"


@pytest.mark.parametrize(
    ("content", "where"),
    [('{"id": "a"}\n\n{"id": "b"}\n{"id": \n', "line 4"), ('[{"id": "a"},\n {"id": }]', "line 2")],
)
def test_json_malformed(tmp_path, content, where):
    path = tmp_path / "seeds.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(HumInputError) as info:
        read("json", path)
    assert str(info.value) == f"{path}: {where}: field '<json>': malformed JSON: Expecting value"


def test_jsonl_not_an_object(tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(HumInputError, match="line 1: field '<json>': expected a JSON object"):
        read("jsonl", path)


@pytest.mark.parametrize(
    ("loader", "good_line"),
    [
        ("jsonl", '{"text": "ok"}'),
        ("json", '{"text": "ok"}'),
        ("conll", "ok\tO"),
        ("csv", "text,category"),
        ("tsv", "text\tcategory"),
        ("carb", "s\tr\ta"),
        ("oie2016", "s\th\tr\ta"),
        ("dygiepp", '{"doc_key": "d", "sentences": [["ok"]]}'),
    ],
)
def test_non_utf8_file_is_an_input_error(tmp_path, loader, good_line):
    path = tmp_path / "latin1.txt"
    path.write_bytes(f"{good_line}\ncaf\xe9\tO\n".encode("latin-1"))
    with pytest.raises(HumInputError) as info:
        read(loader, path)
    assert str(info.value) == f"{path}: line 2: field '<encoding>': not UTF-8 text (invalid continuation byte)"


def test_non_utf8_line_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": "\xff"}\n')
    with pytest.raises(HumInputError) as info:
        read("jsonl", path)
    assert info.value.where == "line 3"


@pytest.mark.parametrize(("loader", "sep"), [("csv", ","), ("tsv", "\t")])
def test_delimited_row_with_too_many_fields(tmp_path, loader, sep):
    path = tmp_path / "bad.csv"
    path.write_text(f'text{sep}category\n"two\nlines"{sep}a\nok{sep}b\nx{sep}c{sep}extra\n', encoding="utf-8")
    with pytest.raises(HumInputError) as info:
        read(loader, path)
    assert str(info.value) == f"{path}: line 5: field '<csv>': 3 fields where the header has 2"


def test_parquet_unreadable(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(HumInputError) as info:
        read("parquet", path)
    assert str(info.value).startswith(f"{path}: file: field '<file>': cannot read as parquet: ")
    assert "Traceback" not in str(info.value)


@pytest.mark.parametrize("loader", sorted(FILE_LOADERS))
def test_missing_and_empty_file(tmp_path, loader):
    path = tmp_path / "seeds.txt"
    with pytest.raises(HumInputError) as info:
        read(loader, path)
    assert str(info.value) == f"{path}: file: field '<file>': no such file"
    path.write_bytes(b"")
    with pytest.raises(HumInputError) as info:
        read(loader, path)
    assert str(info.value) == f"{path}: file: field '<file>': empty file"


LOADERS = (
    "['brat', 'carb', 'conll', 'csv', 'disk', 'dygiepp', 'hub', 'json', 'jsonl', 'oie2016', 'parquet', 'spert', 'squad', 'tsv']"
)


@pytest.mark.parametrize(
    ("cfg", "problem"),
    [({"loader": "xml"}, f"unknown loader 'xml'; choose one of {LOADERS}"), ({}, f"missing; choose one of {LOADERS}")],
)
def test_unknown_or_missing_loader_names_the_dataset_config(cfg, problem):
    """Callers that skip the params check (a script, a test) still get the config's name, the field and the choices."""
    with pytest.raises(HumInputError) as info:
        load({"name": "toy", "train": "x", **cfg}, "train")
    assert str(info.value) == f"params.yaml: datasets.toy: field 'loader': {problem}"


@pytest.mark.parametrize(
    ("cfg", "field", "problem"),
    [
        (
            {"loader": "jsonl", "train": ["a.jsonl", "b.jsonl"]},
            "train",
            "the jsonl loader reads one file; only ['brat'] read a list",
        ),
        ({"loader": "jsonl", "options": {"sentences": {"train": "s.txt"}}}, "options", "not options of the jsonl loader ("),
        ({"loader": "brat", "options": {"suffixes": [".a1"]}}, "options", "not options of the brat loader ("),
    ],
)
def test_a_list_of_files_or_options_a_loader_does_not_take_are_config_errors(tmp_path, cfg, field, problem):
    (tmp_path / "a.jsonl").write_text('{"text": "ok"}\n', encoding="utf-8")
    (tmp_path / "doc.ann").write_text("", encoding="utf-8")
    train = str(tmp_path / ("doc.ann" if cfg["loader"] == "brat" else "a.jsonl"))
    with pytest.raises(HumInputError) as info:
        load({"name": "toy", "train": train, **cfg}, "train")
    assert (info.value.path, info.value.where, info.value.field) == ("params.yaml", "datasets.toy", field)
    assert info.value.problem.startswith(problem)


def test_disk_loader_turns_class_label_ids_into_names(tmp_path):
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=["O", "B-person", "I-person"])),
            "label": datasets.ClassLabel(names=["neg", "pos"]),
        }
    )
    data = {"tokens": [["Ann", "Lee", "runs"]], "ner_tags": [[1, 2, 0]], "label": [1]}
    datasets.Dataset.from_dict(data, features=features).save_to_disk(str(tmp_path / "ds"))
    rows = list(read_all({"loader": "disk", "path": str(tmp_path / "ds"), "train": "train"}, "train"))
    assert rows == [("record 0", {"tokens": ["Ann", "Lee", "runs"], "ner_tags": ["B-person", "I-person", "O"], "label": "pos"})]


def test_conll_docstart_lines_separate_documents(tmp_path):
    path = tmp_path / "conll03.txt"
    path.write_text("-DOCSTART- -X- O O\n\nEU\tB-ORG\nrejects\tO\n-DOCSTART- -X- O O\nPeter\tB-PER\n", encoding="utf-8")
    rows = list(read_all({"loader": "conll", "train": str(path)}))
    assert [r["tokens"] for _, r in rows] == [["EU", "rejects"], ["Peter"]]


def located(loader, path, **cfg):
    """Every located row of a one-file dataset, errors included (as quarantine sees them)."""
    return [
        (w, str(r) if isinstance(r, HumInputError) else r)
        for w, r in load({"loader": loader, "train": str(path), **cfg}, "train")
    ]


@pytest.mark.parametrize(("loader", "sep"), [("csv", ","), ("tsv", "\t")])
def test_a_delimited_row_with_bad_bytes_is_its_own_error(tmp_path, loader, sep):
    path = tmp_path / "seeds.csv"
    path.write_bytes(f"text{sep}label\nAnn{sep}a\n".encode() + b"B\xffob" + f"{sep}b\n\nCy{sep}c\n".encode())
    assert located(loader, path) == [
        ("record 0", {"text": "Ann", "label": "a"}),
        ("line 3", f"{path}: line 3: field '<encoding>': not UTF-8 text (invalid start byte)"),
        ("record 2", {"text": "Cy", "label": "c"}),
    ]


def test_bad_bytes_inside_a_quoted_multiline_cell_set_aside_only_that_row(tmp_path):
    path = tmp_path / "seeds.csv"
    path.write_bytes(b'text,label\n"two\nl\xe9nes, ""quoted""",a\nok,b\n')
    assert located("csv", path) == [
        ("line 3", f"{path}: line 3: field '<encoding>': not UTF-8 text (invalid continuation byte)"),
        ("record 1", {"text": "ok", "label": "b"}),
    ]


def test_a_delimited_row_with_too_few_fields_is_its_own_error(tmp_path):
    path = tmp_path / "seeds.csv"
    path.write_text("text,label\nonly text\nok,b\n", encoding="utf-8")
    assert located("csv", path) == [
        ("line 2", f"{path}: line 2: field '<csv>': 1 fields where the header has 2"),
        ("record 1", {"text": "ok", "label": "b"}),
    ]


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_csv_line_ends_lf_crlf_or_cr(tmp_path, end):
    path = tmp_path / "seeds.csv"
    path.write_bytes(f'text,label{end}Ann,a{end}"two{end}lines",b{end}'.encode())
    assert [r for _, r in read("csv", path)] == [{"text": "Ann", "label": "a"}, {"text": f"two{end}lines", "label": "b"}]


def test_a_csv_cell_over_the_csv_size_limit_is_its_rows_error(tmp_path):
    path = tmp_path / "seeds.csv"
    path.write_text(f"text,label\n{'x' * (csv.field_size_limit() + 1)},a\nok,b\n", encoding="utf-8")
    assert located("csv", path) == [
        ("line 2", f"{path}: line 2: field '<csv>': field larger than field limit ({csv.field_size_limit()})"),
        ("record 1", {"text": "ok", "label": "b"}),
    ]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"te\xffxt,label\nAnn,a\n", "line 1: field '<encoding>': not UTF-8 text (invalid start byte)"),
        (b"text,text\nAnn,a\n", "line 1: field '<csv>': the header names ['text'] more than once"),
    ],
)
def test_an_unreadable_csv_header_is_the_files_one_error(tmp_path, content, error):
    path = tmp_path / "seeds.csv"
    path.write_bytes(content)
    assert located("csv", path) == [("line 1", f"{path}: {error}")]


def test_csv_options_are_csv_format_parameters(tmp_path):
    path = tmp_path / "seeds.csv"
    path.write_text("text;label\n'a;b';x\n", encoding="utf-8")
    assert [r for _, r in read("csv", path, options={"delimiter": ";", "quotechar": "'"})] == [{"text": "a;b", "label": "x"}]
    with pytest.raises(HumInputError) as info:
        load({"loader": "csv", "train": str(path), "options": {"keep_default_na": False}}, "train")
    assert str(info.value).startswith(f"{path}: file: field 'options': not csv format parameters (")


@pytest.mark.parametrize(
    ("loader", "content", "error"),
    [
        ("json", b'[{"text": "ok"},\n {"text": "\xff"}]', "line 2: field '<encoding>': not UTF-8 text (invalid start byte)"),
        (
            "squad",
            b'{"data": [\n{"title": "\xe9t\xe9"}]}',
            "line 2: field '<encoding>': not UTF-8 text (invalid continuation byte)",
        ),
        ("squad", b'{"data": [\n\n{"title": }]}', "line 3: field '<json>': malformed JSON: Expecting value"),
    ],
)
def test_an_unreadable_json_document_is_the_files_one_error(tmp_path, loader, content, error):
    """No row of a whole document can be trusted past a bad byte: the file comes as one error, placed on its line."""
    path = tmp_path / "seeds.json"
    path.write_bytes(content)
    where = error.split(":")[0]
    assert located(loader, path) == [(where, f"{path}: {error}")]


def test_squad_with_a_bom_is_read(tmp_path):
    path = tmp_path / "seeds.json"
    qa = {"id": "q", "question": "Who?", "answers": [{"text": "Ann", "answer_start": 0}]}
    path.write_text(
        "\ufeff" + json.dumps({"data": [{"title": "t", "paragraphs": [{"context": "Ann", "qas": [qa]}]}]}), encoding="utf-8"
    )
    assert [r["id"] for _, r in read("squad", path)] == ["q"]
