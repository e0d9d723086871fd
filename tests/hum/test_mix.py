from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from hum import mix as mix_module
from hum import report
from hum.io import read_jsonl
from hum.mix import (
    Inputs,
    Mix,
    Work,
    batch_done,
    held_out,
    index,
    isin_sorted,
    plan,
    pointer,
    read_pointers,
    sample,
    shuffled,
    split_key,
    summary_line,
    take,
    write_corpus,
)
from hum.records import input_text, meta_record
from hum.report import Tally
from hum.runners.local import Local


def pointers(source, offsets):
    return np.array([pointer(source, o) for o in offsets], dtype=np.int64)


# task -> dataset -> pointers; offsets are unique so a pointer names its dataset
TASKS = {
    "ner": {"a": pointers(0, range(100)), "b": pointers(0, range(1000, 1030))},
    "re": {"c": pointers(0, range(2000, 2050))},
    "cls": {"d": pointers(0, range(3000, 3040))},
}
GENERAL = {"self": pointers(1, range(200))}
OWNER = {p: name for groups in (*TASKS.values(), GENERAL) for name, ps in groups.items() for p in ps.tolist()}
TASK_OF = {"a": "ner", "b": "ner", "c": "re", "d": "cls", "self": "general"}


def per_task(order):
    return dict(Counter(TASK_OF[OWNER[p]] for p in order.tolist()))


def per_dataset(order):
    return dict(Counter(OWNER[p] for p in order.tolist()))


def mix(**kw) -> Mix:
    return Mix.from_params(kw)


def test_plan_is_deterministic_and_seeded():
    m = mix(ratios={"ner": 0.5}, general_share=0.1, caps={"dataset": 20})
    a = plan(TASKS, GENERAL, m, 13).tolist()
    assert a == plan(TASKS, GENERAL, m, 13).tolist()
    assert a != plan(TASKS, GENERAL, m, 14).tolist()
    assert len(set(a)) == len(a)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"ratios": {"ner": 0.5, "re": 1.0, "cls": 0.25}, "general_share": 0.1}, {"ner": 65, "re": 50, "cls": 10, "general": 14}),
        ({}, {"ner": 130, "re": 50, "cls": 40}),
        ({"ratios": {"ner": 0.0, "re": 0.2, "cls": 1.0}, "general_share": 0.5}, {"re": 10, "cls": 40, "general": 50}),
        ({"general_share": 0.9}, {"ner": 130, "re": 50, "cls": 40, "general": 200}),  # capped at the general data there is
        ({"caps": {"dataset": 20}}, {"ner": 40, "re": 20, "cls": 20}),  # a and b of ner: 20 each
        ({"caps": {"dataset": 20}, "ratios": {"ner": 0.5}}, {"ner": 20, "re": 20, "cls": 20}),  # cap first, then the ratio
        ({"caps": {"task": {"ner": 25, "re": None}}}, {"ner": 25, "re": 50, "cls": 40}),
        ({"caps": {"dataset": 35, "task": {"ner": 10}}, "ratios": {"ner": 0.5}}, {"ner": 10, "re": 35, "cls": 35}),
        ({"caps": {"dataset": 20}, "general_share": 0.1}, {"ner": 40, "re": 20, "cls": 20, "general": 9}),  # 80 * 0.1 / 0.9
        ({"caps": {"dataset": 50}, "general_share": 0.9}, {"ner": 80, "re": 50, "cls": 40, "general": 50}),  # general capped too
    ],
)
def test_plan_counts_under_caps_ratios_and_share(params, expected):
    assert per_task(plan(TASKS, GENERAL, mix(**params), 3)) == expected


def test_dataset_cap_applies_to_each_dataset():
    assert per_dataset(plan(TASKS, GENERAL, mix(caps={"dataset": 20}), 3)) == {"a": 20, "b": 20, "c": 20, "d": 20}
    assert per_dataset(plan(TASKS, GENERAL, mix(caps={"dataset": 0}), 3)) == {}


def test_each_draw_has_its_own_rng():
    """Adding a dataset to one task leaves what is drawn from the others unchanged (only the shuffle moves)."""
    m = mix(caps={"dataset": 20}, ratios={"re": 0.5})
    before = plan(TASKS, GENERAL, m, 3)
    more = {**TASKS, "ee": {"e": pointers(2, range(80))}}
    after = plan(more, GENERAL, m, 3)
    assert {p for p in before.tolist() if p >> 40 == 0} == {p for p in after.tolist() if p >> 40 == 0}


def test_plan_without_general_data():
    assert per_task(plan(TASKS, {}, mix(general_share=0.1), 3)) == {"ner": 130, "re": 50, "cls": 40}


def test_sample_and_take():
    ten = pointers(0, range(10))
    assert sample(ten, 1.0, random.Random(0)).tolist() == ten.tolist()
    assert len(sample(ten, 0.3, random.Random(0))) == 3
    assert take(ten[::-1], None, random.Random(0)).tolist() == ten.tolist()
    assert take(ten, 4, random.Random(0)).tolist() == take(ten, 4, random.Random(0)).tolist()
    assert len(take(ten, 4, random.Random(0))) == 4


def test_take_and_the_shuffle_draw_as_on_lists_of_pointers():
    """The same draws as `rng.sample` and `rng.shuffle` over Python lists, which is what keeps the corpus bytes."""
    listed = [(0, 3 * i) for i in range(500)]
    assert take(pointers(0, range(0, 1500, 3))[::-1], 40, random.Random(7)).tolist() == [
        pointer(*p) for p in sorted(random.Random(7).sample(listed, 40))
    ]
    expected = [p for task in ("cls", "ner", "re") for p in sorted(q for d in TASKS[task].values() for q in d.tolist())]
    random.Random("5:shuffle").shuffle(expected)  # no cap, ratio or general data: every pointer, tasks in name order
    assert plan(TASKS, GENERAL, mix(), 5).tolist() == expected


@pytest.mark.parametrize(
    "bad",
    [{"exports": ["messages", "csv"]}, {"caps": {"dataset": -1}}, {"caps": {"task": {"ner": -5}}}, {"validation_share": 1.0}],
)
def test_bad_mix_params_stop_the_stage(bad):
    with pytest.raises(ValueError, match="mix"):
        Mix.from_params(bad)


def test_mix_defaults_keep_todays_behaviour():
    m = Mix.from_params({"general_share": 0.1, "ratios": {"ner": 1.0}})
    assert (m.dataset_cap, m.task_caps, m.validation_share) == (None, {}, 0.0)
    assert m.exports == ("messages", "parquet", "alpaca", "sharegpt")
    assert Mix.from_params({"exports": ["sharegpt", "messages"]}).exports == ("messages", "sharegpt")  # canonical order
    assert Mix.from_params({"exports": []}).exports == ()  # messages are written all the same: the others derive from them
    assert Mix.from_params({"caps": {"dataset": 5e3, "task": {"ner": None}}}).dataset_cap == 5000


# ---------------------------------------------------------------- split by seed text


def chat(task: str, dataset: str, seed_id: str, text: str, k: int = 0, *, lang: str = "en") -> dict:
    """A task record whose user message lays `text` between a request and a question, as layouts do."""
    head = "Find the people.\n\nText:\n" if k % 2 == 0 else "### Text\n"
    user = f"{head}{text}\n\nQuestion {k}: who?"
    start = len(head)
    meta = meta_record(
        task=task, subtask="extract", dataset=dataset, seed_id=seed_id, lang=lang, kind="compound", format="json",
        rules=["dup:once"] if k % 2 else [], columns=["type", "entity"], label_column="type", labels=["person"],
        gold=[["person", "Ann"]], slots={"label": "person"} if k % 3 == 0 else {}, text_span=[start, start + len(text)],
    )  # fmt: skip
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": '[{"type": "person", "entity": "Ann"}]'}]
    if k % 2 == 0:
        messages.insert(0, {"role": "system", "content": "You are an annotator."})
    return {"id": f"{dataset}/{seed_id}#{k}", "messages": messages, "meta": meta}


def test_split_key_is_the_seed_text_case_and_spacing_blind():
    a, b = chat("mrc", "x", "q1", "Ann met  Bob.", 0), chat("mrc", "x", "q2", "ann met bob.", 1)  # two questions, one passage
    assert split_key(a) == split_key(b) == "ann met bob."
    general = {"id": "g1", "dataset": "self", "task": "general", "text": "Write a Poem", "output": "..."}
    assert split_key(general) == "write a poem"
    spanless = chat("ner", "x", "s9", "Ann.", 0)
    spanless["meta"]["text_span"] = [0, 0]
    assert split_key(spanless) == "seed:x/s9"


def test_held_out_is_seeded_and_near_its_share():
    keys = [f"text {i}" for i in range(4000)]
    chosen = [k for k in keys if held_out(k, 13, 0.2)]
    assert 0.17 < len(chosen) / len(keys) < 0.23
    assert chosen == [k for k in keys if held_out(k, 13, 0.2)]
    assert chosen != [k for k in keys if held_out(k, 14, 0.2)]
    assert not any(held_out(k, 13, 0.0) for k in keys)


def indexed(paths, runner=None, seed=13, share=0.0):
    """The task and general `Index` of `paths`, its blocks run on `runner` (default: this process)."""
    with (runner or Local(1)).pool(Work(seed, share, ())) as pool:
        return index(paths, pool.map)


def listed(groups):
    return {t: {d: p.tolist() for d, p in ds.items()} for t, ds in groups.items()}


def test_index_groups_by_task_and_dataset_and_reads_back(tmp_path):
    path = tmp_path / "v.jsonl"
    recs = [chat("ner", "a", "1", "Ann."), chat("re", "b", "2", "北京很大。"), chat("ner", "c", "3", "Bob.")]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    groups = indexed([path])[0].groups
    assert {t: sorted(d) for t, d in groups.items()} == {"ner": ["a", "c"], "re": ["b"]}
    order = [int(groups["re"]["b"][0]), int(groups["ner"]["c"][0]), int(groups["ner"]["a"][0])]
    assert list(read_pointers([path], order)) == [recs[1], recs[2], recs[0]]


def test_index_blocks_on_workers_give_the_pointers_of_one_pass(tmp_path, monkeypatch):
    path, general = tmp_path / "v.jsonl", tmp_path / "g.train.jsonl"
    recs = [chat("ner" if i % 3 else "re", f"d{i % 2}", str(i), f"Text {i}.") for i in range(40)]
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n\n", encoding="utf-8")  # a blank line at the end
    rows = [{"id": f"g{i}", "dataset": "self", "task": "general" if i % 4 else "ner", "text": f"Poem {i}."} for i in range(30)]
    general.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    whole = indexed([path, general], share=0.3)
    monkeypatch.setattr(mix_module, "INDEX_BYTES", 300)  # blocks of a few lines each
    blocks = indexed([path, general], Local(2), share=0.3)
    assert [listed(i.groups) for i in blocks] == [listed(i.groups) for i in whole]
    assert [i.held.tolist() for i in blocks] == [i.held.tolist() for i in whole]
    ner = blocks[0].groups["ner"]
    assert list(read_pointers([path] * 3, ner["d1"].tolist()[:2])) == [recs[1], recs[5]]
    assert sorted(blocks[1].groups) == ["general"]  # general data only from the prepared files


def test_the_index_finds_the_records_the_train_pass_would_hold_out(tmp_path):
    inputs = make_project(tmp_path)
    tasks, general = indexed([inputs.validated, tmp_path / "data/prepared/self.train.jsonl"], share=0.25)
    paths = [inputs.validated, tmp_path / "data/prepared/self.train.jsonl"]
    held = [*tasks.held, *general.held]
    every = [p for i in (tasks, general) for ds in i.groups.values() for ps in ds.values() for p in ps.tolist()]
    expected = [p for p in sorted(every) if held_out(split_key(next(read_pointers(paths, [p]))), 13, 0.25)]
    assert held == expected
    assert 0 < len(held) < len(every)


def test_the_shuffle_carries_each_pointers_task():
    parts = [("ner", pointers(0, range(50))), ("re", pointers(0, range(100, 130))), ("general", pointers(3, range(20)))]
    order, tasks, names = shuffled(parts, 7)
    plain = [p for _, ps in parts for p in ps.tolist()]
    random.Random("7:shuffle").shuffle(plain)  # the shuffle as it was, of the bare pointers
    assert order.tolist() == plain
    owner = {p: name for name, ps in parts for p in ps.tolist()}
    assert [names[t] for t in tasks.tolist()] == [owner[p] for p in order.tolist()]
    assert sorted(order.tolist()) == sorted(owner)
    assert order.tolist() != sorted(owner)


def test_batch_done_is_the_tasks_whose_tally_wants_no_more_grams(monkeypatch):
    monkeypatch.setattr(report, "GRAM_RECORDS", 5)
    monkeypatch.setattr(mix_module, "BATCH", 3)
    rng = random.Random(4)
    names = ["a", "b", "c"]
    tasks = np.array([2 if i in {5, 17, 30} else rng.choice([0, 0, 1]) for i in range(40)], dtype=np.uint8)
    done = batch_done(tasks, names)
    tally, truly = Tally(), []
    for start in range(0, len(tasks), 3):
        truly.append(frozenset(t for t, d in tally.tasks.items() if not d.wants_grams))
        for code in tasks[start : start + 3].tolist():
            tally.tasks[names[code]].add_grams([[]])
    assert done == truly
    assert done[0] == frozenset()
    assert done[-1] == {"a", "b"}  # "c" has 3 records


def test_isin_sorted(monkeypatch):
    monkeypatch.setattr(mix_module, "CHUNK", 4)
    values = np.array([9, 1, 7, 30, 2, 8, 0, 15, 31], dtype=np.int64)
    members = np.array([1, 2, 8, 30], dtype=np.int64)
    assert isin_sorted(values, members).tolist() == [v in members.tolist() for v in values.tolist()]
    assert not isin_sorted(values, np.zeros(0, dtype=np.int64)).any()


# ---------------------------------------------------------------- the whole stage on synthetic data

SOURCES = """# Seeds

| file | task | origin | licence |
|---|---|---|---|
| `ner/wn.conll`, `wn.dev.conll` | NER | somewhere | CC BY 4.0 (`ner/LICENSE`) |
| `re/se.jsonl` | RE | elsewhere | MIT |
| `general/self.jsonl` | general | there | Apache-2.0 |
"""


def make_project(root: Path) -> Inputs:
    """Validated task records (several instructions per text, texts in changing case), general data, manifests, SOURCES.md."""
    data = root / "data"
    for folder in ("validated", "prepared", "seeds"):
        (data / folder).mkdir(parents=True)
    records = [
        chat("ner", "wn", f"wn-{i}", f"Ann number {i} met Bob." if k == 0 else f"ANN NUMBER {i}  met bob.", k)
        for i in range(40)
        for k in range(2)
    ]
    records += [chat("re", "se", f"se-{i}", f"Paris is in France, case {i}.", 1) for i in range(30)]
    records += [
        chat("mrc", "xq", f"xq-{i}", f"长城很长，第{i % 5}段。", i, lang="zh") for i in range(20)
    ]  # 4 questions per passage
    (data / "validated/instructions.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    general = [
        {"id": f"g{i}", "dataset": "self", "task": "general", "lang": "en", "text": f"Write poem {i}.", "output": "A poem."}
        for i in range(60)
    ]
    ner_seed = {"id": "p1", "dataset": "wn", "task": "ner", "lang": "en", "text": "Ann.", "entities": []}  # not general: ignored
    (data / "prepared/self.train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in general), encoding="utf-8")
    (data / "prepared/wn.train.jsonl").write_text(json.dumps(ner_seed) + "\n", encoding="utf-8")
    datasets = {
        "wn": {"name": "wn", "task": "ner", "train": "data/seeds/ner/wn.conll", "eval": "data/seeds/ner/wn.dev.conll"},
        "se": {"name": "se", "task": "re", "train": "data/seeds/re/se.jsonl"},
        "xq": {"name": "xq", "task": "mrc", "loader": "hub", "path": "org/xq", "license": "cc-by-sa-4.0"},
        "self": {"name": "self", "task": "general", "train": "data/seeds/general/self.jsonl"},
    }
    manifests = {
        "prepared": ("prepare", {"seed": 13, "datasets": datasets}, None),
        "validated": ("validate", {"validate": {"x": 1}}, "sha256:abc"),
    }
    for folder, (stage, params, model) in manifests.items():
        manifest = {"stage": stage, "params": params, "params_sha256": "0" * 64, "model": model, "counts": {}}
        (data / folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (data / "seeds/SOURCES.md").write_text(SOURCES, encoding="utf-8")
    return Inputs(
        data / "validated/instructions.jsonl",
        data / "prepared",
        data / "seeds/SOURCES.md",
        (data / "prepared", data / "validated"),
    )


PARAMS = {
    "seed": 13,
    "mix": {
        "general_share": 0.1,
        "ratios": {"ner": 1.0, "re": 0.5, "mrc": 1.0},
        "caps": {"dataset": 70, "task": {"ner": None, "mrc": 16}},
        "validation_share": 0.25,
        "exports": ["messages", "parquet", "alpaca", "sharegpt"],
    },
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("mix")
    inputs = make_project(root)
    summary = write_corpus(inputs, PARAMS, root / "data/corpus", root / "metrics")
    return root, summary, inputs


def both_splits(root: Path) -> list[dict]:
    return [*read_jsonl(root / "data/corpus/train.jsonl"), *read_jsonl(root / "data/corpus/validation.jsonl")]


def test_counts_follow_caps_and_ratios(built):
    root, summary, _ = built
    counts = Counter(r["meta"]["task"] for r in both_splits(root))
    # ner: 80 capped to 70 per dataset; re: 30 * 0.5; mrc: 20 capped to 16 per task; general: 101 * 0.1 / 0.9
    assert counts == {"ner": 70, "re": 15, "mrc": 16, "general": 11}
    assert sum(summary["splits"].values()) == 112
    assert summary["records"] == summary["splits"]["train"] == sum(summary["per_task"].values())


def test_no_seed_text_on_both_sides(built):
    root, summary, _ = built
    sides = {}
    for split in ("train", "validation"):
        for rec in read_jsonl(root / f"data/corpus/{split}.jsonl"):
            sides.setdefault(" ".join(input_text(rec).casefold().split()), set()).add(split)
    assert all(len(s) == 1 for s in sides.values())
    assert 0 < summary["splits"]["validation"] < summary["splits"]["train"]


def test_outputs_metrics_and_manifest(built):
    root, summary, _ = built
    corpus = root / "data/corpus"
    expected = {"train.jsonl", "validation.jsonl", "train.parquet", "validation.parquet", "README.md", "manifest.json"}
    expected |= {f"{e}/{s}.jsonl" for e in ("alpaca", "sharegpt") for s in ("train", "validation")}
    assert {p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file()} == expected
    metrics = json.loads((root / "metrics/corpus.json").read_text())
    assert metrics == summary
    assert {
        "records",
        "per_task",
        "per_subtask",
        "per_format",
        "per_rule",
        "per_kind",
        "per_lang",
        "per_dataset",
        "splits",
    } <= set(metrics)
    assert metrics["records"] == sum(1 for _ in read_jsonl(corpus / "train.jsonl"))
    assert set(json.loads((root / "metrics/diversity.json").read_text())) == set(metrics["per_task"])
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert manifest["params"] == PARAMS
    assert manifest["model"] == "sha256:abc"
    for name, sha in manifest["counts"]["files"].items():
        assert hashlib.sha256((corpus / name).read_bytes()).hexdigest() == sha
    assert "\n" not in summary_line(summary)
    assert summary_line(summary).startswith("[mix] 112 records written (train ")


def test_same_config_same_bytes(built, tmp_path):
    root, _, inputs = built
    write_corpus(inputs, PARAMS, tmp_path / "corpus", tmp_path / "metrics")
    for ours, theirs in ((root / "data/corpus", tmp_path / "corpus"), (root / "metrics", tmp_path / "metrics")):
        files = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
        for name in files:
            assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name


def test_plot_files(built):
    root, summary, _ = built
    plots = root / "metrics/plots"
    assert sorted(p.name for p in plots.iterdir()) == [
        "dataset.csv",
        "format.csv",
        "lang.csv",
        "lengths.csv",
        "rule.csv",
        "task.csv",
    ]
    for field in ("task", "format", "rule", "dataset", "lang"):
        with (plots / f"{field}.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0]) == [field, "count"]
        assert {r[field]: int(r["count"]) for r in rows} == summary[f"per_{field}"]
        assert [int(r["count"]) for r in rows] == sorted((int(r["count"]) for r in rows), reverse=True)
    with (plots / "lengths.csv").open(encoding="utf-8") as fh:
        lengths = list(csv.DictReader(fh))
    assert list(lengths[0]) == ["chars", "instruction", "answer"]
    assert [int(r["chars"]) for r in lengths] == [100 * i for i in range(len(lengths))]
    assert sum(int(r["instruction"]) for r in lengths) == sum(int(r["answer"]) for r in lengths) == summary["records"]


def test_without_validation_only_train_is_written(tmp_path):
    inputs = make_project(tmp_path)
    params = {"seed": 13, "mix": {"general_share": 0.0, "ratios": {}, "exports": ["alpaca"]}}
    summary = write_corpus(inputs, params, tmp_path / "corpus", tmp_path / "metrics")
    assert summary["splits"] == {"train": 130, "validation": 0}
    files = {p.relative_to(tmp_path / "corpus").as_posix() for p in (tmp_path / "corpus").rglob("*") if p.is_file()}
    assert files == {"train.jsonl", "alpaca/train.jsonl", "README.md", "manifest.json"}  # messages always, the primary
