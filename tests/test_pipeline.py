"""End to end: `dvc repro` on a tiny configuration with the real embedded llama.cpp model."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from datasets import load_dataset

from dvcrun import dvc, run, tree_digest
from hum.answers import answer_problem
from hum.io import read_jsonl
from hum.records import META

pytestmark = pytest.mark.slow
COPIED = ("dvc.yaml", ".dvcignore", "conf", "stages", "src", "data/seeds", "data/templates", "data/guidelines")
TINY = {
    "prepare": {"max_records": 5},
    "paraphrase": {"attempts": 1},
    "generate": {"per_record": 3},
    "generalist": {"per_dataset": 1, "attempts": 2},
    "evaluate": {"limit": 1},
}
OUTPUTS = ("prepared", "pool", "generated", "generalist", "deduped", "decontaminated", "validated", "corpus", "eval")
ANNOTATION_TASKS = {"ner", "re", "mrc", "cls", "ee", "oie"}
VERBATIM_TASKS = {"ner", "re", "mrc", "ee"}  # open-IE tuples are not always verbatim spans


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, root: Path) -> Path:
    """A fresh git+DVC copy of the project with a tiny config, after one `dvc repro`."""
    proj = tmp_path_factory.mktemp("project")
    for name in COPIED:
        src = root / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, proj / name)
    conf = yaml.safe_load((proj / "conf/config.yaml").read_text())
    for group, values in TINY.items():
        conf[group].update(values)
    (proj / "conf/config.yaml").write_text(yaml.safe_dump(conf, sort_keys=False))
    run(proj, "git", "init", "-q")
    run(proj, "git", "config", "user.email", "ci@hum.invalid")
    run(proj, "git", "config", "user.name", "hum ci")
    dvc(proj, "init", "-q")
    dvc(proj, "config", "hydra.enabled", "true")
    from dvc.utils.hydra import compose_and_dump  # noqa: PLC0415

    compose_and_dump(proj / "params.yaml", str(proj / "conf"), None, "config", str(proj), [])
    dvc(proj, "repro")
    run(proj, "git", "add", "-A")
    run(proj, "git", "commit", "-qm", "tiny build")
    return proj


def test_every_answer_parses_back_to_its_gold_annotation(project: Path) -> None:
    corpus = list(read_jsonl(project / "data/corpus/train.jsonl"))
    tasks = [r for r in corpus if r["meta"]["task"] != "general"]
    assert {r["meta"]["task"] for r in tasks} >= ANNOTATION_TASKS
    assert all(answer_problem(r) is None for r in tasks)
    seeds = {r["id"]: r for p in (project / "data/prepared").glob("*.train.jsonl") for r in read_jsonl(p)}
    for rec in (r for r in tasks if r["meta"]["task"] in VERBATIM_TASKS):
        seed, meta = seeds[rec["meta"]["seed_id"]], rec["meta"]
        for row in meta["gold"]:
            for column, value in zip(meta["columns"], row, strict=True):
                if column == meta["label_column"]:
                    assert value in meta["labels"]
                else:
                    assert value in seed["text"], (rec["id"], value)


def test_corpus_loads_with_datasets_and_has_chat_messages(project: Path) -> None:
    ds = load_dataset("json", data_files=str(project / "data/corpus/train.jsonl"), split="train")
    assert ds.num_rows == json.loads((project / "metrics/corpus.json").read_text())["records"]
    roles = {tuple(m["role"] for m in msgs) for msgs in ds["messages"]}
    assert roles == {("system", "user", "assistant"), ("user", "assistant")}  # layouts with and without a system message
    assert set(ds.features["meta"]) == set(META)  # one Arrow schema for every task
    fields = {"task", "subtask", "dataset", "seed_id", "format", "rules", "guidelines", "kind", "gold"}
    assert all(fields <= {k for k, v in meta.items() if v is not None or k == "label_column"} for meta in ds["meta"])


def test_rejected_records_carry_a_reason(project: Path) -> None:
    rejects = [
        *read_jsonl(project / "data/deduped/removed.jsonl"),
        *read_jsonl(project / "data/decontaminated/removed.jsonl"),
        *read_jsonl(project / "data/validated/quarantine.jsonl"),
        *read_jsonl(project / "data/generated/rejects.jsonl"),
    ]
    assert all(isinstance(r["reason"], str) and r["reason"] for r in rejects)
    paraphrase_rejects = list(read_jsonl(project / "data/pool/rejects.jsonl"))
    assert paraphrase_rejects, "the tiny model's paraphrases are never all good"
    assert all(r["reject"] for r in paraphrase_rejects)
    assert all(r["reject"] for r in read_jsonl(project / "data/generalist/rejects.jsonl"))


def test_artifacts_record_config_and_model(project: Path) -> None:
    pool = json.loads((project / "data/pool/manifest.json").read_text())
    corpus = json.loads((project / "data/corpus/manifest.json").read_text())
    assert pool["model"].startswith("sha256:")
    assert corpus["model"] == pool["model"]
    assert corpus["params"]["mix"] == yaml.safe_load((project / "params.yaml").read_text())["mix"]


def test_metrics_count_tasks_formats_rules_and_rejects(project: Path) -> None:
    shown = json.loads(dvc(project, "metrics", "show", "--json"))[""]["data"]
    assert list(shown) == ["metrics/summary.json"], "DVC shows the summary; the stages' own metrics are plain files"
    summary = shown["metrics/summary.json"]["data"]
    corpus = json.loads((project / "metrics/corpus.json").read_text())
    assert summary["records"] == corpus["records"] == sum(corpus["per_task"].values())
    assert summary["tasks"] == corpus["per_task"]
    assert {"4gram", "descr", "formats", "rulesets", "guided", "empty", "para_yield", "gen_yield", "dropped"} <= set(summary)
    assert set(corpus["per_task"]) >= {*ANNOTATION_TASKS, "general"}
    assert {"extract", "by_type", "triggers", "arguments", "tuples", "classify"} <= set(corpus["per_subtask"])
    assert corpus["per_format"]
    assert corpus["per_rule"]
    assert "in" in json.loads((project / "metrics/dedup.json").read_text())


def test_evaluate_scores_the_embedded_model_on_every_task(project: Path) -> None:
    report = json.loads((project / "metrics/eval.json").read_text())
    predictions = list(read_jsonl(project / "data/eval/predictions.jsonl"))
    assert {p["task"] for p in predictions} == ANNOTATION_TASKS
    assert report["overall/records"] == len(predictions) == 9 - 1  # one per task dataset (general data is not asked)
    summary = json.loads((project / "metrics/summary.json").read_text())
    assert set(summary["eval"]) == {*ANNOTATION_TASKS, "overall"}
    assert all(0.0 <= v <= 1.0 for v in summary["eval"].values())


def test_second_repro_does_nothing(project: Path) -> None:
    out = dvc(project, "repro")
    assert "Running stage" not in out
    assert "up to date" in dvc(project, "status")


def test_forced_rebuild_is_byte_identical(project: Path) -> None:
    before = {name: tree_digest(project / "data" / name) for name in OUTPUTS}
    dvc(project, "repro", "--force")
    assert {name: tree_digest(project / "data" / name) for name in OUTPUTS} == before


def test_exp_run_with_a_generate_param_reruns_generate_not_prepare(project: Path) -> None:
    out = dvc(project, "exp", "run", "-S", "generate.formats=[json]")
    assert "Running stage 'generate'" in out
    assert "Running stage 'prepare'" not in out
    assert "Running stage 'paraphrase'" not in out
    corpus = json.loads((project / "metrics/corpus.json").read_text())
    free_text = corpus["per_task"]["general"] + corpus["per_task"].get("generalist", 0)  # answers in plain text
    assert corpus["per_format"] == {"json": corpus["records"] - free_text, "text": free_text}


@pytest.fixture(scope="module")
def shared(project: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The built project with a committed default local-folder remote, its data pushed there; returns (project, remote).

    Earlier tests may have changed the workspace (`dvc exp run`): a repro (a no-op when up to date) and a commit make the
    pushed state exactly the committed one.
    """
    remote = tmp_path_factory.mktemp("dvc-store")
    dvc(project, "repro")
    dvc(project, "remote", "add", "-f", "-d", "local", str(remote))
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "share the corpus through a local-folder DVC remote")
    dvc(project, "push")
    assert json.loads(dvc(project, "status", "--cloud", "--json")) == {}
    return project, remote


def tracked_outputs(project: Path) -> list[str]:
    """The paths of the cached outputs that dvc.lock records (the LLM reply shards included)."""
    lock = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    return sorted({o["path"] for stage in lock.values() for o in stage.get("outs", []) if not o["path"].startswith("metrics/")})


def digest(path: Path) -> dict[str, str]:
    return tree_digest(path) if path.is_dir() else {path.name: hashlib.sha256(path.read_bytes()).hexdigest()}


def test_push_then_pull_into_a_fresh_clone(shared: tuple[Path, Path], tmp_path: Path) -> None:
    origin, remote = shared
    outs = tracked_outputs(origin)
    assert {"data/corpus", "data/replies/paraphrase/replies.jsonl", "data/replies/generalist/replies.jsonl"} <= set(outs)
    assert any(remote.rglob("*")), "dvc push wrote nothing to the remote"
    clone = tmp_path / "clone"
    run(tmp_path, "git", "clone", "-q", str(origin), str(clone))
    assert not (clone / "data/corpus").exists()  # only git-tracked files so far
    dvc(clone, "pull")
    for out in outs:
        assert digest(clone / out) == digest(origin / out), out
    assert tree_digest(clone / "data") == tree_digest(origin / "data")
    assert json.loads(dvc(clone, "status", "--json")) == {}  # no stage would rerun
    assert "up to date" in dvc(clone, "status")
    assert json.loads(dvc(clone, "data", "status", "--granular", "--json")) == {}
    assert json.loads(dvc(clone, "diff", "--json")) == {}
    assert run(clone, "git", "status", "--porcelain") == ""


def test_get_and_import_a_tagged_corpus_version(shared: tuple[Path, Path], tmp_path: Path) -> None:
    origin, _ = shared
    run(origin, "git", "tag", "corpus-v1")
    v1 = tree_digest(origin / "data/corpus")

    # `dvc get`: a plain copy of one file of the tagged version, from the project folder and from a bare git "server"
    # that holds no DVC cache, so that the data can only come from the remote named in the committed .dvc/config.
    server = tmp_path / "server.git"
    run(tmp_path, "git", "clone", "-q", "--bare", str(origin), str(server))
    for source, name in ((origin, "train.jsonl"), (server, "train-from-server.jsonl")):
        dvc(tmp_path, "get", str(source), "data/corpus/train.jsonl", "--rev", "corpus-v1", "-o", name)
        assert (tmp_path / name).read_bytes() == (origin / "data/corpus/train.jsonl").read_bytes()

    # `dvc import`: the folder plus a .dvc file that records where it came from, at which revision.
    consumer = tmp_path / "consumer"
    consumer.mkdir()
    run(consumer, "git", "init", "-q")
    dvc(consumer, "init", "-q")
    dvc(consumer, "import", str(origin), "data/corpus", "--rev", "corpus-v1", "-o", "corpus")
    repo = yaml.safe_load((consumer / "corpus.dvc").read_text())["deps"][0]["repo"]
    assert repo == {"url": str(origin), "rev": "corpus-v1", "rev_lock": run(origin, "git", "rev-parse", "corpus-v1").strip()}
    assert tree_digest(consumer / "corpus") == v1

    # A new corpus version (a mix parameter: only `mix` reruns, no model), pushed and tagged; `dvc update --rev` moves to it.
    params = yaml.safe_load((origin / "params.yaml").read_text())
    params["mix"]["caps"]["dataset"] = 2
    (origin / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    out = dvc(origin, "repro")
    assert "Running stage 'mix'" in out
    assert "Running stage 'generate'" not in out
    dvc(origin, "push")
    run(origin, "git", "add", "-A")
    run(origin, "git", "commit", "-qm", "corpus v2: at most 2 records per dataset")
    run(origin, "git", "tag", "corpus-v2")
    v2 = tree_digest(origin / "data/corpus")
    assert v2 != v1
    dvc(consumer, "update", "corpus.dvc")  # the tag corpus-v1 did not move: nothing changes
    assert tree_digest(consumer / "corpus") == v1
    dvc(consumer, "update", "--rev", "corpus-v2", "corpus.dvc")
    repo = yaml.safe_load((consumer / "corpus.dvc").read_text())["deps"][0]["repo"]
    assert (repo["rev"], repo["rev_lock"]) == ("corpus-v2", run(origin, "git", "rev-parse", "HEAD").strip())
    assert tree_digest(consumer / "corpus") == v2
