"""Nested `datasets` features (structs, Sequence(ClassLabel), Sequence of structs) read as plain rows and mapped."""

from __future__ import annotations

import json

import datasets
import pytest

from hum.errors import HumInputError
from hum.loaders import load
from hum.prepare import Bad, prepare_dataset, rows

UNLABELLED = " (datasets marks an unlabelled row with -1)"  # `datasets` itself refuses ids past the last class
PARAMS = {"max_records": 100, "eval_fraction": 0.0, "on_error": "raise"}
NER_TAGS = datasets.ClassLabel(names=["O", "B-PER", "I-PER", "B-ORG", "I-ORG"])
TYPES = datasets.ClassLabel(names=["PER", "ORG"])
ENTITIES = datasets.Sequence(
    {"start": datasets.Value("int32"), "end": datasets.Value("int32"), "type": TYPES, "text": datasets.Value("string")}
)


def saved(tmp_path, data, features, split="train"):
    """A `save_to_disk` folder holding one split built from columns."""
    folder = tmp_path / "saved"
    ds = datasets.Dataset.from_dict(data, features=datasets.Features(features))
    datasets.DatasetDict({split: ds}).save_to_disk(folder)
    return {"loader": "disk", "path": str(folder), "train": split}


def plain(cfg):
    return list(load(cfg, "train"))


def read(out, name):
    return [json.loads(line) for line in (out / f"{name}.train.jsonl").read_text(encoding="utf-8").splitlines()]


def test_squad_answers_struct_becomes_a_list_of_answers(tmp_path):
    features = {
        "context": datasets.Value("string"),
        "question": datasets.Value("string"),
        "answers": datasets.Sequence({"text": datasets.Value("string"), "answer_start": datasets.Value("int32")}),
    }
    data = {
        "context": ["Ann met Bob."],
        "question": ["Who met Bob?"],
        "answers": [{"text": ["Ann", "Ann"], "answer_start": [0, 0]}],
    }
    cfg = saved(tmp_path, data, features)
    assert plain(cfg)[0][1]["answers"] == [{"text": "Ann", "answer_start": 0}, {"text": "Ann", "answer_start": 0}]
    cfg |= {"name": "sq", "task": "mrc", "lang": "en"}
    prepare_dataset(cfg, PARAMS, 13, tmp_path / "out")
    assert read(tmp_path / "out", "sq")[0]["answers"] == [{"text": "Ann", "start": 0, "end": 3}] * 2


def test_class_label_inside_a_struct_is_decoded_and_mapped_by_path(tmp_path):
    features = {
        "text": datasets.Value("string"),
        "meta": {"label": datasets.ClassLabel(names=["neg", "pos"]), "src": datasets.Value("string")},
    }
    cfg = saved(tmp_path, {"text": ["good", "bad"], "meta": [{"label": 1, "src": "a"}, {"label": 0, "src": "b"}]}, features)
    assert plain(cfg) == [
        ("record 0", {"text": "good", "meta": {"label": "pos", "src": "a"}}),
        ("record 1", {"text": "bad", "meta": {"label": "neg", "src": "b"}}),
    ]
    cfg |= {"name": "sent", "task": "cls", "lang": "en", "columns": {"meta.label": "label"}}
    assert prepare_dataset(cfg, PARAMS, 13, tmp_path / "out")["train"] == 2
    assert [(r["text"], r["labels"]) for r in read(tmp_path / "out", "sent")] == [("good", ["pos"]), ("bad", ["neg"])]


def test_conll_ner_tags_sequence_of_class_labels(tmp_path):
    features = {"tokens": datasets.Sequence(datasets.Value("string")), "ner_tags": datasets.Sequence(NER_TAGS)}
    cfg = saved(tmp_path, {"tokens": [["EU", "rejects", "Ann", "Lee"]], "ner_tags": [[3, 0, 1, 2]]}, features)
    assert plain(cfg)[0][1]["ner_tags"] == ["B-ORG", "O", "B-PER", "I-PER"]
    cfg |= {"name": "conll", "task": "ner", "lang": "en", "columns": {"ner_tags": "tags"}}
    prepare_dataset(cfg, PARAMS, 13, tmp_path / "out")
    record = read(tmp_path / "out", "conll")[0]
    assert record["text"] == "EU rejects Ann Lee"
    assert [(e["type"], e["text"], e["start"], e["end"]) for e in record["entities"]] == [
        ("ORG", "EU", 0, 2),
        ("PER", "Ann Lee", 11, 18),
    ]


def test_sequence_of_structs_becomes_a_list_of_objects_with_names(tmp_path):
    features = {"text": datasets.Value("string"), "entities": ENTITIES}
    entities = {"start": [0, 7], "end": [3, 10], "type": [0, 1], "text": ["Ann", "IBM"]}
    cfg = saved(tmp_path, {"text": ["Ann at IBM"], "entities": [entities]}, features)
    assert plain(cfg)[0][1]["entities"] == [
        {"start": 0, "end": 3, "type": "PER", "text": "Ann"},
        {"start": 7, "end": 10, "type": "ORG", "text": "IBM"},
    ]
    cfg |= {"name": "spans", "task": "ner", "lang": "en"}
    prepare_dataset(cfg, PARAMS, 13, tmp_path / "out")
    assert [(e["type"], e["text"]) for e in read(tmp_path / "out", "spans")[0]["entities"]] == [("PER", "Ann"), ("ORG", "IBM")]


def test_star_paths_reach_into_a_sequence_of_structs(tmp_path):
    kinds = datasets.Sequence(
        {"begin": datasets.Value("int32"), "end": datasets.Value("int32"), "kind": TYPES, "text": datasets.Value("string")}
    )
    features = {"sentence": datasets.Value("string"), "entities": kinds}
    cfg = saved(
        tmp_path,
        {"sentence": ["Ann at IBM"], "entities": [{"begin": [0, 7], "end": [3, 10], "kind": [0, 1], "text": ["Ann", "IBM"]}]},
        features,
    )
    columns = {"sentence": "text", "entities.*.begin": "entities.*.start", "entities.*.kind": "entities.*.type"}
    cfg |= {"name": "mapped", "task": "ner", "lang": "en", "columns": columns}
    prepare_dataset(cfg, PARAMS, 13, tmp_path / "out")
    assert [(e["type"], e["text"]) for e in read(tmp_path / "out", "mapped")[0]["entities"]] == [("PER", "Ann"), ("ORG", "IBM")]


def test_hub_folder_with_parquet_keeps_class_labels(tmp_path):
    """A local folder laid out like a Hub dataset: parquet files under data/, their features in the parquet schema."""
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")), "ner_tags": datasets.Sequence(NER_TAGS)})
    folder = tmp_path / "conll2003"
    (folder / "data").mkdir(parents=True)
    for split, tags in (("train", [[1, 0]]), ("validation", [[3, 4]])):
        ds = datasets.Dataset.from_dict({"tokens": [["Ann", "ran"]], "ner_tags": tags}, features=features)
        ds.to_parquet(folder / "data" / f"{split}-00000-of-00001.parquet")
    cfg = {"loader": "hub", "path": str(folder), "train": "train", "eval": "validation"}
    assert [r["ner_tags"] for _, r in load(cfg, "train")] == [["B-PER", "O"]]
    assert [r["ner_tags"] for _, r in load(cfg, "eval")] == [["B-ORG", "I-ORG"]]


@pytest.mark.parametrize(
    ("features", "data", "field", "problem"),
    [
        (
            {"meta": {"label": datasets.ClassLabel(names=["neg", "pos"])}},
            {"meta": [{"label": 1}, {"label": -1}]},
            "meta.label",
            f"class id -1 is not one of the 2 classes{UNLABELLED}",
        ),
        (
            {"ner_tags": datasets.Sequence(NER_TAGS)},
            {"ner_tags": [[0], [0, -1]]},
            "ner_tags[1]",
            f"class id -1 is not one of the 5 classes{UNLABELLED}",
        ),
        (
            {"entities": ENTITIES},
            {
                "entities": [
                    {"start": [], "end": [], "type": [], "text": []},
                    {"start": [0], "end": [3], "type": [-1], "text": ["Ann"]},
                ]
            },
            "entities[0].type",
            f"class id -1 is not one of the 2 classes{UNLABELLED}",
        ),
        (
            {"entities": ENTITIES},
            {
                "entities": [
                    {"start": [], "end": [], "type": [], "text": []},
                    {"start": [0, 4], "end": [3], "type": [0], "text": ["Ann"]},
                ]
            },
            "entities",
            "a sequence of objects whose fields have different lengths: {'start': 2, 'end': 1, 'type': 1, 'text': 1}",
        ),
    ],
)
def test_bad_nested_value_is_the_error_of_its_record(tmp_path, features, data, field, problem):
    cfg = saved(tmp_path, data, features, split="dev")
    (first, _), (where, error) = plain(cfg)
    assert (first, where) == ("record 0", "record 1")
    assert isinstance(error, HumInputError)
    assert (error.path, error.where, error.field, error.problem) == (f"{cfg['path']}[dev]", "record 1", field, problem)


def test_bad_class_id_is_quarantined_by_prepare(tmp_path):
    features = {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"])}
    cfg = saved(tmp_path, {"text": ["good", "hidden"], "label": [1, -1]}, features, split="test")
    cfg |= {"name": "glue", "task": "cls", "lang": "en"}
    out = list(rows(cfg, "train"))
    assert out[1] == ("record 1", Bad(f"{cfg['path']}[test]", "record 1", "label", out[1][1].problem))
    counts = prepare_dataset(cfg, PARAMS | {"on_error": "quarantine"}, 13, tmp_path / "out")
    assert (counts["train"], counts["quarantined"]) == (1, 1)
