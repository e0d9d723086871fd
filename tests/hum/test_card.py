from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
import yaml

from hum.card import (
    Release,
    Source,
    front_matter,
    gather_licences,
    parse_sources,
    render_card,
    size_category,
    split_front_matter,
    write_card,
)
from hum.export import EXPORTS, SplitWriter, data_files, write_parquet
from hum.records import meta_record
from hum.report import corpus_metrics

ROOT = Path(__file__).resolve().parents[2]


def test_sources_md_licences_are_parsed():
    sources = parse_sources((ROOT / "data/seeds/SOURCES.md").read_text(encoding="utf-8"))
    by_file = {f: s for s in sources for f in s.files}
    assert "ner/wnut17/emerging.dev.conll" in by_file  # a bare name lies in the folder of the row's first path
    assert by_file["ner/crossner_ai/train.txt"].licence_id == "mit"
    assert by_file["mrc/xquad/xquad.zh.json"].licence_id == "cc-by-sa-4.0"
    assert {s.licence_id for s in sources} == {"cc-by-4.0", "mit", "cc-by-3.0", "cc-by-sa-4.0", "apache-2.0"}


def test_every_configured_dataset_has_a_licence():
    configs = {p.stem: yaml.safe_load(p.read_text()) for p in sorted((ROOT / "conf/datasets").glob("*.yaml"))}
    sources = parse_sources((ROOT / "data/seeds/SOURCES.md").read_text(encoding="utf-8"))
    found = gather_licences(sources, Path("data/seeds"), configs, configs)
    assert set(found) == set(configs)
    assert all(lic not in {"unknown", "other"} for lic, _ in found.values()), found


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("CC BY 4.0 (`ner/wnut17/README.md`)", "cc-by-4.0"),
        ("MIT (`oie/carb/LICENSE`); sentences from OIE2016", "mit"),
        ("CC BY-SA 4.0", "cc-by-sa-4.0"),
        ("Apache-2.0 (`general/LICENSE.self-instruct`)", "apache-2.0"),
        ("research use only", "other"),
    ],
)
def test_licence_ids(cell, expected):
    assert Source(("x",), cell).licence_id == expected


def test_a_config_licence_wins_and_an_unlisted_dataset_is_unknown():
    sources = [Source(("ner/a.conll",), "MIT")]
    configs = {
        "a": {"train": "data/seeds/ner/a.conll"},
        "hub": {"path": "org/x", "license": "cc0-1.0"},
        "lost": {"train": "x.csv"},
    }
    assert gather_licences(sources, Path("data/seeds"), configs, ["a", "hub", "lost"]) == {
        "a": ("mit", "MIT"),
        "hub": ("cc0-1.0", "cc0-1.0"),
        "lost": ("unknown", "not listed in SOURCES.md"),
    }


COUNTS = {
    "train": {"records": 1500, "per_lang": {"en": 1, "zh": 1}, "per_task": {"ner": 1, "re": 1}},
    "validation": {"records": 20},
}
FILES = {"messages": {"train": "train.jsonl"}}


@pytest.mark.parametrize(
    ("licences", "expected"),
    [
        ({"a": ("mit", "MIT"), "b": ("mit", "MIT (x)")}, "mit"),
        ({"a": ("mit", "MIT"), "b": ("cc-by-4.0", "CC BY 4.0")}, "other"),
        ({"a": ("unknown", "")}, "other"),
    ],
)
def test_front_matter_licence(licences, expected):
    meta = front_matter(COUNTS, licences, FILES)
    assert meta["license"] == expected
    assert ("license_name" in meta) == (expected == "other")
    assert meta["language"] == ["en", "zh"]
    assert meta["size_categories"] == ["1K<n<10K"]
    assert meta["task_categories"] == ["text-generation", "token-classification"]


def test_size_categories():
    assert [size_category(n) for n in (0, 999, 1000, 10**5, 2 * 10**6, 10**11)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "100K<n<1M",
        "1M<n<10M",
        "n>10B",
    ]


# ---------------------------------------------------------------- a written corpus and its card


def record(i: int, lang: str = "en") -> dict:
    text = f"Ann {i} met Bob." if lang == "en" else f"安{i}见了鲍勃。"
    head = "Find the people.\n\nText:\n"
    meta = meta_record(
        task="ner", subtask="extract", dataset="wn" if lang == "en" else "zh", seed_id=f"s{i}", lang=lang, kind="compound",
        format="json", rules=["dup:once"] if i % 2 else [], columns=["type", "entity"], label_column="type",
        labels=["person"], gold=[["person", "Ann"]], text_span=[len(head), len(head) + len(text)],
    )  # fmt: skip
    user = {"role": "user", "content": head + text}
    return {
        "id": f"r{i}",
        "messages": [user, {"role": "assistant", "content": '[{"type": "person", "entity": "Ann"}]'}],
        "meta": meta,
    }


SOURCES = "| file | licence |\n|---|---|\n| `ner/wn.conll` | CC BY 4.0 |\n| `ner/zh.conll` | MIT (`LICENSE`) |\n"
MANIFESTS = [
    {
        "stage": "prepare",
        "params": {"datasets": {"wn": {"train": "data/seeds/ner/wn.conll"}, "zh": {"train": "data/seeds/ner/zh.conll"}}},
    },
    {"stage": "validate", "params": {"validate": {"max_user_chars": 8000}}, "params_sha256": "f" * 64},
]


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    root = tmp_path_factory.mktemp("card")
    folder, seeds = root / "corpus", root / "data/seeds"
    seeds.mkdir(parents=True)
    (seeds / "SOURCES.md").write_text(SOURCES, encoding="utf-8")
    splits = {"train": [record(i, "en" if i % 3 else "zh") for i in range(24)], "validation": [record(100 + i) for i in range(4)]}
    counts, diversity = {}, {}
    for split, records in splits.items():
        with SplitWriter(folder, split, EXPORTS) as writer:
            for rec in records:
                writer.write(rec)
        counts[split], diversity[split] = corpus_metrics(records)
    write_parquet(folder, splits)
    files = data_files(list(splits), EXPORTS)
    release = Release(counts, diversity["train"], {"seed": 13, "mix": {"general_share": 0.1}}, MANIFESTS, "sha256:m0", files)
    path = write_card(folder, release, seeds / "SOURCES.md")
    return folder, path.read_text(encoding="utf-8"), release


def test_front_matter_parses_and_lists_existing_data_files(card):
    folder, text, _ = card
    meta, body = split_front_matter(text)
    assert text.startswith("---\n")
    assert [c["config_name"] for c in meta["configs"]] == ["messages", "alpaca", "sharegpt"]  # Parquet: see test below
    assert [c.get("default", False) for c in meta["configs"]] == [True, False, False]
    for config in meta["configs"]:
        assert [f["split"] for f in config["data_files"]] == ["train", "validation"]
        assert all((folder / f["path"]).is_file() for f in config["data_files"])
    assert meta["license"] == "other"
    assert meta["language"] == ["en", "zh"]
    assert "text-generation" in meta["task_categories"]
    assert meta["size_categories"] == ["n<1K"]
    assert "# hum NLU instruction corpus" in body


def test_body_has_counts_licences_config_model_and_how_to_rebuild(card):
    _, text, release = card
    _, body = split_front_matter(text)
    for needle in (
        "| ner | 24 | 4 |",  # records per task and split
        "| wn | cc-by-4.0 | CC BY 4.0 |",
        "| zh | mit | MIT (`LICENSE`) |",
        "| json | 24 | 4 |",
        "| dup:once |",
        "| en |",
        "distinct 4-gram ratio",
        "sha256:m0",
        "f" * 64,  # an upstream stage's params hash, as its manifest records it
        "max_user_chars: 8000",
        "dvc pull",
        "dvc repro",
        "load_dataset(",
    ):
        assert needle in body, needle
    assert render_card(release, {"wn": ("cc-by-4.0", "CC BY 4.0"), "zh": ("mit", "MIT (`LICENSE`)")}) == text  # no clock in it


@pytest.mark.parametrize("config", ["messages", "alpaca", "sharegpt"])
def test_each_config_loads_through_the_card(card, config):
    folder, _, release = card
    loaded = datasets.load_dataset(str(folder), config)
    assert dict(loaded.num_rows) == {s: c["records"] for s, c in release.counts.items()}


def test_parquet_is_in_the_body_and_loads_with_its_builder(card):
    """`datasets` infers one builder per repository from its first config, so Parquet cannot be a config beside JSON."""
    folder, text, release = card
    assert "| parquet | `train.parquet` | `validation.parquet` |" in text
    files = {s: str(folder / f"{s}.parquet") for s in release.counts}
    loaded = datasets.load_dataset("parquet", data_files=files)
    assert dict(loaded.num_rows) == {s: c["records"] for s, c in release.counts.items()}


def test_manifests_params_render_as_yaml(card):
    _, text, _ = card
    block = text.split("Stage `validate`", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    assert yaml.safe_load(block) == MANIFESTS[1]["params"]
    assert json.dumps(yaml.safe_load(text.split("Stage `mix`", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0])) == json.dumps(
        {"mix": {"general_share": 0.1}, "seed": 13}
    )
