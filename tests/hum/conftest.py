"""Shared fixtures: the real data samples and small helpers."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import Iterable
from pathlib import Path

import datasets
import pytest

from hum import mix, report
from hum.generate import Context, Generate, load_context
from hum.io import Record, read_jsonl, write_json, write_jsonl
from hum.mix import Inputs
from hum.normalise import normalise
from hum.prepare import prepare_all, prepare_dataset, train_records
from hum.provenance import load_params

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"  # the shared samples lie beside the project (as in CI)
FORMATS = ["json", "lines", "table", "kv", "yaml", "xml", "csv", "json_grouped", "tuples", "code", "bullets", "numbered"]
FORMATS += ["sentences"]
LAYOUTS = ["headed", "text_first", "markdown", "prose", "bracketed"]
GEN_PARAMS = {
    "per_record": 2,
    "compound_ratio": 0.7,
    "p_rules": 0.7,
    "p_format": 0.7,
    "max_rules": 3,
    "basic_format": "json",
    "instruction_lang": None,
    "unreviewed": False,
    "formats": FORMATS,
    "layouts": LAYOUTS,
    "guidelines": {"p_instruction": 0.6, "label_dropout": 0.1, "p_examples": 0.5, "min_coverage": 0.1},
    "empty": {"target": 0.2, "mrc_negatives": True},
    "p_hard_negative": 0.5,
    "p_request": 0.3,
    "subtasks": {"ee": ["triggers", "arguments"], "oie": ["tuples"]},
}

PARAPHRASE_CFG = {  # the paraphrase checks' settings, as conf/config.yaml has them, with one source per sub-task
    "per_subtask": 1,
    "attempts": 3,
    "temperature": 0.9,
    "max_tokens": 80,
    "min_length_ratio": 0.5,
    "max_length_ratio": 2.0,
    "max_similarity": 90,
    "min_overlap": 50,
    "min_distinct_words": 0.6,
}

CFG = {
    "ner": {"name": "wnut17", "task": "ner", "lang": "en"},
    "re": {"name": "semeval", "task": "re", "lang": "en", "no_relation": ["Other"]},
    "fewrel": {"name": "fewrel", "task": "re", "lang": "en"},
    "mrc": {"name": "xquad_en", "task": "mrc", "lang": "en"},
    "cls": {"name": "banking77", "task": "cls", "lang": "en"},
}
FILES = {
    "ner": "ner/wnut17_dev.jsonl",
    "re": "re/semeval2010_task8_test.jsonl",
    "fewrel": "re/fewrel_val_wiki.jsonl",
    "mrc": "mrc/xquad_en_squad11dev_subset.jsonl",
    "cls": "cls/banking77_test.jsonl",
}


def normalised(kind: str, n: int = 200) -> list[dict]:
    """The first `n` records of a real sample, normalised for its task."""
    rows = itertools.islice(read_jsonl(DATA / FILES[kind]), n)
    return [normalise(row, CFG[kind], i) for i, row in enumerate(rows)]


@pytest.fixture(scope="session")
def records() -> dict[str, list[dict]]:
    return {kind: normalised(kind) for kind in FILES}


class FakeChat:
    """A scripted ChatModel: replies in order, and remembers every call."""

    def __init__(self, replies: list[str], fingerprint: str = "fake:1") -> None:
        self.replies, self._fingerprint, self.calls = list(replies), fingerprint, []

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def chat(self, messages, *, seed, temperature, max_tokens) -> str:
        self.calls.append({"messages": messages, "seed": seed, "temperature": temperature, "max_tokens": max_tokens})
        return self.replies[(len(self.calls) - 1) % len(self.replies)]


def guideline_draft(label: str, definition: str, **fields: object) -> dict:
    """A pending LLM guideline draft for label `label` of the toy dataset, as `hum guidelines draft` writes one."""
    digest = hashlib.sha256(definition.encode()).hexdigest()[:10]
    draft = {
        "id": f"guideline:toy:{label}~{digest}",
        "kind": "guideline",
        "lang": "en",
        "task": "ner",
        "dataset": "toy",
        "label": label,
        "definition": definition,
        "paraphrases": [],
        "include": None,
        "exclude": None,
        "examples": [],
        "negatives": [],
        "source": "llm",
        "model": "fake:1",
        "status": "proposed",
    }
    return draft | fields


def real(sample: Path) -> pytest.MarkDecorator:
    """Skips a test of a real public sample that ../shared does not hold yet (see tests/seed_samples.md)."""
    return pytest.mark.skipif(not sample.exists(), reason=f"real sample not in ../shared yet: {sample}")


def generation_context(prepared: Path, seed: int, **params: object) -> Context:
    """What `generate` reads: the reviewed pools of data/templates, the prepared label sets and the guidelines."""
    templates, guidelines = ROOT / "data/templates", ROOT / "data/guidelines"
    return load_context(prepared, templates, None, guidelines, params={**GEN_PARAMS, **params}, seed=seed)


SAMPLES = {  # name: (task, lang, loader, file under DATA): the real samples tests prepare as datasets
    "wnut17": ("ner", "en", "jsonl", "ner/wnut17_dev.jsonl"),
    "crossner_ai": ("ner", "en", "jsonl", "ner/crossner_ai_test.jsonl"),
    "crossner_music": ("ner", "en", "jsonl", "ner/crossner_music_test.jsonl"),
    "semeval2010_task8": ("re", "en", "jsonl", "re/semeval2010_task8_test.jsonl"),
    "fewrel": ("re", "en", "jsonl", "re/fewrel_val_wiki.jsonl"),
    "phee": ("ee", "en", "jsonl", "ee/phee_dev.jsonl"),
    "xquad_en": ("mrc", "en", "jsonl", "mrc/xquad_en_squad11dev_subset.jsonl"),
    "xquad_zh": ("mrc", "zh", "squad", "raw/mrc/xquad/xquad.zh.json"),
    "banking77": ("cls", "en", "jsonl", "cls/banking77_test.jsonl"),
    "clinc150": ("cls", "en", "jsonl", "cls/clinc150_test.jsonl"),
    "carb": ("oie", "en", "jsonl", "oie/carb_dev.jsonl"),
}


def prepare_samples(names: Iterable[str], out: Path, max_records: int) -> Path:
    """The first `max_records` training records of each named sample (`SAMPLES`) through `prepare`, into `out`."""
    for name in names:
        task, lang, loader, file = SAMPLES[name]
        cfg = {"name": name, "task": task, "lang": lang, "loader": loader, "train": str(DATA / file), "no_relation": ["Other"]}
        prepare_dataset(cfg, {"max_records": max_records, "eval_fraction": 0.0, "on_error": "raise"}, 13, out)
    return out


def wnut17_prepared(tmp_path_factory: pytest.TempPathFactory, n: int) -> tuple[list[dict], Context]:
    """The first `n` WNUT-17 seeds through `prepare`, and the context `generate` reads (NER extract and by_type)."""
    prepared = prepare_samples(["wnut17"], tmp_path_factory.mktemp("prepared"), n)
    ctx = generation_context(prepared, 13, **{**GEN_PARAMS, "subtasks": {"ner": ["extract", "by_type"]}})
    return list(train_records(prepared, "general")), ctx


@pytest.fixture(scope="session")
def project_prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """The project's seed datasets through `prepare` with the project's params: (params, folder). No DVC output needed."""
    params = load_params(ROOT / "params.yaml")
    folder = tmp_path_factory.mktemp("project-prepared")
    with contextlib.chdir(ROOT):  # dataset configs name their files relative to the project
        prepare_all(params["datasets"], params["prepare"], params["seed"], folder)
    return params, folder


def project_generation(prepared: tuple[dict, Path]) -> Generate:
    """The generate step as its stage script builds it (no LLM proposals: only human and reviewed descriptions)."""
    params, seeds = prepared
    ctx = load_context(seeds, ROOT / "data/templates", None, ROOT / "data/guidelines", params=params["generate"], seed=13)
    return Generate(ctx)


@pytest.fixture(scope="session")
def project_generated(project_prepared: tuple[dict, Path]) -> list[Record]:
    """What `generate` keeps of the project's seeds (some 2,400 records): real records in a fresh checkout too."""
    kept, _ = project_generation(project_prepared)(list(train_records(project_prepared[1], exclude_task="general")))
    return kept


@pytest.fixture(scope="session")
def project_mix_inputs(tmp_path_factory: pytest.TempPathFactory, project_prepared, project_generated) -> Inputs:
    """What `mix` reads, from the project's seeds: the generated records as validated ones, the prepared general data."""
    folder = tmp_path_factory.mktemp("validated")
    write_jsonl(folder / "instructions.jsonl", project_generated)
    write_json(folder / "manifest.json", {"model": None})  # the model an upstream output records (none for generate)
    return Inputs(folder / "instructions.jsonl", project_prepared[1], ROOT / "data/seeds/SOURCES.md")


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mix batches of 64 records and a 4-gram window of 40: records span many batches, the window closes mid-run."""
    monkeypatch.setattr(mix, "BATCH", 64)
    monkeypatch.setattr(report, "GRAM_RECORDS", 40)


@pytest.fixture(autouse=True, scope="session")
def _datasets_offline(tmp_path_factory: pytest.TempPathFactory):
    """`datasets` caches what it reads: keep that out of the user's home, and never reach for the network."""
    patch = pytest.MonkeyPatch()
    patch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("hf-datasets"))
    patch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    yield
    patch.undo()
