"""Seed files read from fsspec URLs, and corpora published to them: `memory://`, `file://` and a local moto S3 server."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import datasets
import fsspec
import pytest
import yaml

from conftest import DATA, real
from hum.cli import main
from hum.decontaminate import benchmark_records
from hum.errors import HumInputError
from hum.loaders import load
from hum.prepare import prepare_dataset
from hum.storage import PublishError, is_url, location, publish

ROOT = Path(__file__).resolve().parents[2]
PARAMS = {"max_records": 150, "eval_fraction": 0.2, "on_error": "raise", "max_text_chars": 8000, "mrc_window": None}
# one real configured dataset per way of reading: conll lines, csv module, jsonl, SQuAD document, Open IE tab file
CARB = DATA / "raw/oie/carb"
DATASETS = ["crossner_ai", "banking77", "phee", "xquad_zh", "carb"]


def config(name: str) -> dict:
    return yaml.safe_load((ROOT / "conf/datasets" / f"{name}.yaml").read_text(encoding="utf-8"))


def memory_url(name: str) -> str:
    """A fresh memory:// URL per test: the memory filesystem is one per process, and `datasets` caches by URL."""
    return f"memory://hum-{uuid.uuid4().hex}/{name}"


def to_memory(path: Path) -> str:
    """A memory:// copy of a local file."""
    url = memory_url(path.name)
    fsspec.filesystem("memory").pipe(url.removeprefix("memory://"), path.read_bytes())
    return url


def copied(cfg: dict, copy) -> dict:
    """The dataset config with its train and eval files replaced by `copy` of each."""
    return {**cfg, **{split: copy(ROOT / cfg[split]) for split in ("train", "eval") if cfg.get(split)}}


def prepared(cfg: dict, out: Path) -> dict[str, bytes]:
    out.mkdir()
    prepare_dataset(cfg, PARAMS, 13, out)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("name", DATASETS)
def test_a_dataset_read_from_memory_or_file_urls_prepares_to_the_same_bytes(name, tmp_path):
    cfg = config(name)
    local = prepared(cfg, tmp_path / "local")
    assert local[f"{name}.train.jsonl"]
    assert prepared(copied(cfg, to_memory), tmp_path / "memory") == local
    assert prepared(copied(cfg, lambda p: p.as_uri()), tmp_path / "file") == local


@pytest.mark.parametrize("builder", ["json", "parquet"])
def test_datasets_builders_read_urls_unless_offline(builder, tmp_path, monkeypatch):
    rows = [{"id": str(i), "text": f"Paris is in France {i}.", "label": "geo"} for i in range(5)]
    local = tmp_path / f"seed.{builder}"
    if builder == "json":
        local.write_text(json.dumps(rows), encoding="utf-8")
    else:
        datasets.Dataset.from_list(rows).to_parquet(str(local))
    cfg = {"name": "toy", "task": "cls", "lang": "en", "loader": builder, "train": to_memory(local)}
    (_, error), *_ = load(cfg, "train")  # the tests run `datasets` offline, which refuses every URL
    assert isinstance(error, HumInputError)
    assert str(error).startswith(f"{cfg['train']}: file: field '<file>': cannot read as {builder}: Offline mode is enabled")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)  # memory:// is no network
    read = list(load(cfg, "train"))
    assert read == list(load({**cfg, "train": str(local)}, "train"))
    assert [row for _, row in read] == rows


@real(CARB)
def test_carb_gold_and_its_sentences_file_read_from_urls():
    cfg = {"name": "carb", "loader": "carb", "train": str(CARB / "gold_dev.tsv")}
    local = list(load({**cfg, "options": {"sentences": {"train": str(CARB / "dev.txt")}}}, "train"))
    url = {**cfg, "train": to_memory(CARB / "gold_dev.tsv"), "options": {"sentences": {"train": to_memory(CARB / "dev.txt")}}}
    assert list(load(url, "train")) == local
    assert sum(1 for _, row in local if row["tuples"] == []) > 0  # the sentences file was read: sentences without gold


def test_a_saved_dataset_folder_read_from_a_url_even_offline():
    url = memory_url("saved")
    rows = [{"id": "1", "text": "Paris is in France.", "label": "geo"}]
    datasets.DatasetDict({"dev": datasets.Dataset.from_list(rows)}).save_to_disk(url)
    assert list(load({"name": "toy", "loader": "disk", "path": url, "train": "dev"}, "train")) == [("record 0", rows[0])]


def test_a_bad_line_in_a_url_names_the_url_and_line():
    url = memory_url("seed.jsonl")
    lines = ['{"id": "a", "text": "One.", "label": "x"}', '{"id": "b", "text": "Two.", "label": "x"}', '{"id": "c", "text"']
    fsspec.filesystem("memory").pipe(url.removeprefix("memory://"), "\n".join(lines).encode())
    cfg = {"name": "toy", "task": "cls", "lang": "en", "loader": "jsonl", "train": url}
    with pytest.raises(HumInputError) as caught:
        prepare_dataset(cfg, PARAMS, 13, Path("/nonexistent/never/written"))
    assert str(caught.value).startswith(f"{url}: line 3: field '<json>': malformed JSON")


def test_a_json_array_url_places_its_syntax_error_on_its_line(monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    url = memory_url("seed.json")
    fsspec.filesystem("memory").pipe(url.removeprefix("memory://"), b'[\n{"id": "a", "text": "One."},\n{"id": "b",, }\n]\n')
    (where, error), *_ = load({"name": "toy", "loader": "json", "train": url}, "train")
    assert isinstance(error, HumInputError)
    assert (error.path, error.where, where) == (url, "line 3", "line 3")


def test_a_missing_or_unservable_url_is_an_error_naming_it():
    missing = memory_url("none.jsonl")
    with pytest.raises(HumInputError, match=f"^{re.escape(missing)}: file: field '<file>': no such file"):
        load({"name": "toy", "loader": "jsonl", "train": missing}, "train")
    with pytest.raises(HumInputError, match=r"^nosuchproto://b/k\.jsonl: file: field '<url>': .*hum\[storage\]"):
        load({"name": "toy", "loader": "jsonl", "train": "nosuchproto://b/k.jsonl"}, "train")


def test_brat_folders_read_from_urls_as_from_local_folders(tmp_path):
    docs = {  # two folders, so record ids are paths below their common parent; one document broken on line 2
        "train/a": ("Ann met Bob.", "T1\tPER 0 3\tAnn\nT2\tPER 8 11\tBob\nR1\tMeet Arg1:T1 Arg2:T2\n"),
        "train/b": ("Paris, France.", "T1\tLOC 0 5\tParis\nT2\tLOC 99 105\tFrance\n"),
        "dev/c": ("Cy ran.", "T1\tPER 0 2\tCy\n"),
    }
    url, memory = memory_url("brat"), fsspec.filesystem("memory")
    for name, (text, ann) in docs.items():
        for suffix, content in ((".txt", text), (".ann", ann)):
            (tmp_path / f"{name}{suffix}").parent.mkdir(exist_ok=True)
            (tmp_path / f"{name}{suffix}").write_text(content, encoding="utf-8")
            memory.pipe(f"{url.removeprefix('memory://')}/{name}{suffix}", content.encode())
    local = list(load({"name": "b", "loader": "brat", "train": [str(tmp_path / "train"), str(tmp_path / "dev/c.ann")]}, "train"))
    remote = list(load({"name": "b", "loader": "brat", "train": [f"{url}/train", f"{url}/dev/c.ann"]}, "train"))
    assert [w for w, _ in remote] == [w for w, _ in local] == ["train/a", "line 2", "dev/c"]
    assert [remote[0], remote[2]] == [local[0], local[2]]
    assert str(remote[1][1]).startswith(f"memory:///{url.removeprefix('memory://')}/train/b.ann: line 2: field 'T2': offsets 99")


def test_urls_stay_text_and_local_paths_become_paths():
    assert location("s3://bucket/seeds/a.jsonl") == "s3://bucket/seeds/a.jsonl"  # a Path would make it s3:/bucket
    assert location("data/seeds/a.jsonl") == Path("data/seeds/a.jsonl")
    assert not is_url("C:/seeds/a.jsonl")
    assert not is_url(Path("memory://x"))  # a Path is local whatever it is spelled like


def corpus(folder: Path, text: str) -> Path:
    """A corpus folder like `mix` writes: splits, an export in a subfolder, a card and the manifest."""
    (folder / "alpaca").mkdir(parents=True)
    (folder / "train.jsonl").write_text(f'{{"id": "{text}"}}\n', encoding="utf-8")
    (folder / "alpaca/train.jsonl").write_text(f'{{"instruction": "{text}"}}\n', encoding="utf-8")
    (folder / "README.md").write_text(f"# {text}\n", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"stage": "mix", "text": text}), encoding="utf-8")
    return folder


def read_back(url: str) -> dict[str, bytes]:
    fs, root = fsspec.core.url_to_fs(url)
    return {str(p).removeprefix(f"{root.rstrip('/')}/"): fs.cat_file(p) for p in fs.find(root)}


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("where", ["memory", "file"])
def test_publish_copies_every_file_then_the_card_and_the_manifest(where, tmp_path):
    built = corpus(tmp_path / "corpus", "one")
    url = memory_url("corpus") if where == "memory" else (tmp_path / "out" / "v1").as_uri()
    written = publish(built, url)
    assert written == ["alpaca/train.jsonl", "train.jsonl", "README.md", "manifest.json"]
    assert read_back(url) == files(built)
    assert publish(built, url) == []  # the same corpus is there: nothing to do


def test_publish_refuses_another_corpus_unless_asked(tmp_path):
    url = memory_url("corpus")
    publish(corpus(tmp_path / "one", "one"), url)
    two = corpus(tmp_path / "two", "two")
    (two / "alpaca/train.jsonl").unlink()
    with pytest.raises(PublishError, match="holds another corpus; --overwrite replaces it"):
        publish(two, url)
    assert json.loads(read_back(url)["manifest.json"])["text"] == "one"
    assert publish(two, url, overwrite=True) == ["train.jsonl", "README.md", "manifest.json"]
    assert read_back(url) == files(two)  # the file the new corpus lacks is gone


def test_publish_refuses_files_without_a_manifest_and_a_folder_without_one(tmp_path):
    url = memory_url("corpus")
    fsspec.filesystem("memory").pipe(f"{url.removeprefix('memory://')}/train.jsonl", b"half\n")
    with pytest.raises(PublishError, match=re.escape("holds files (1) but no manifest.json")):
        publish(corpus(tmp_path / "c", "c"), url)
    (tmp_path / "empty").mkdir()
    with pytest.raises(PublishError, match=re.escape("no manifest.json, so no built corpus")):
        publish(tmp_path / "empty", memory_url("other"))


def test_hum_publish_command(tmp_path, capsys):
    built, out = corpus(tmp_path / "corpus", "one"), tmp_path / "published"
    assert main(["publish", str(built), str(out)]) == 0
    assert files(out) == files(built)
    assert main(["publish", str(corpus(tmp_path / "other", "two")), str(out)]) == 2
    assert "holds another corpus" in capsys.readouterr().err


@pytest.fixture
def s3(monkeypatch) -> Iterator[str]:
    """A bucket on a moto S3 server on 127.0.0.1, reached the way a user configures one: fsspec's s3 settings."""
    pytest.importorskip("s3fs")
    server = pytest.importorskip("moto.server").ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.setenv(key, "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": f"http://{host}:{port}", "skip_instance_cache": True})
        fsspec.filesystem("s3").mkdir("hum-test")
        yield "s3://hum-test"
    finally:
        with contextlib.suppress(Exception):
            server.stop()


def test_s3_seed_and_publish_through_a_local_moto_server(s3, tmp_path):
    fs = fsspec.filesystem("s3")
    cfg = config("crossner_ai")
    for split in ("train", "eval"):
        fs.put_file(str(ROOT / cfg[split]), f"{s3.removeprefix('s3://')}/{cfg[split]}")
    on_s3 = {**cfg, "train": f"{s3}/{cfg['train']}", "eval": f"{s3}/{cfg['eval']}"}
    assert prepared(on_s3, tmp_path / "s3") == prepared(cfg, tmp_path / "local")
    built = corpus(tmp_path / "corpus", "one")
    assert publish(built, f"{s3}/corpus/v1")[-1] == "manifest.json"
    assert read_back(f"{s3}/corpus/v1") == files(built)


def test_a_decontamination_benchmark_read_from_a_url_is_the_local_file(tmp_path):
    local = tmp_path / "mmlu.jsonl"
    local.write_text('{"id": "q1", "prompt": "Which planet is the largest?"}\n{"prompt": "Name a prime."}\n', encoding="utf-8")
    url = to_memory(local)
    read = [list(benchmark_records({"path": str(p), "field": "prompt", "name": "mmlu"})) for p in (local, url)]
    assert read[0] == read[1] == [("mmlu", "q1", ["Which planet is the largest?"]), ("mmlu", "line 2", ["Name a prime."])]
    broken = to_memory(tmp_path / "mmlu.jsonl")
    fsspec.filesystem("memory").pipe(broken.removeprefix("memory://"), b'{"id": "q1"}\n')
    with pytest.raises(HumInputError, match=r"memory://.*mmlu\.jsonl: line 1: field 'prompt': missing"):
        list(benchmark_records({"path": broken, "field": "prompt"}))
    with pytest.raises(HumInputError, match=r"memory://hum-gone/x\.jsonl: .*no such file"):
        list(benchmark_records({"path": "memory://hum-gone/x.jsonl"}))
