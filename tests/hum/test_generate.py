from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DATA, GEN_PARAMS
from hum.answers import answer_problem
from hum.generate import Context, Generate, instruction, instructions_for
from hum.guidelines import load_guidelines
from hum.pool import human_descriptions
from hum.prepare import load_labelsets, prepare_dataset, train_records

ROOT = Path(__file__).resolve().parents[2]
DATASETS = {
    "wnut17": ("ner", "ner/wnut17_dev.jsonl"),
    "crossner_ai": ("ner", "ner/crossner_ai_test.jsonl"),
    "semeval2010_task8": ("re", "re/semeval2010_task8_test.jsonl"),
    "fewrel": ("re", "re/fewrel_val_wiki.jsonl"),
    "xquad_en": ("mrc", "mrc/xquad_en_squad11dev_subset.jsonl"),
    "banking77": ("cls", "cls/banking77_test.jsonl"),
}
PARAMS = {
    **GEN_PARAMS,
    "subtasks": {
        "ner": ["extract", "by_type"],
        "re": ["triples", "by_relation", "by_pair"],
        "mrc": ["extractive"],
        "cls": ["classify", "multi"],
    },
}


@pytest.fixture(scope="session")
def prepared(tmp_path_factory):
    """The first 60 rows of each real sample, through `prepare` (40 kept for training per dataset)."""
    seeds, out = tmp_path_factory.mktemp("seeds"), tmp_path_factory.mktemp("prepared")
    for name, (task, file) in DATASETS.items():
        head = (DATA / file).read_text(encoding="utf-8").splitlines(keepends=True)[:60]
        (seeds / f"{name}.jsonl").write_text("".join(head), encoding="utf-8")
        cfg = {
            "name": name,
            "task": task,
            "lang": "en",
            "loader": "jsonl",
            "train": str(seeds / f"{name}.jsonl"),
            "no_relation": ["Other"],
        }
        prepare_dataset(cfg, {"max_records": 40, "eval_fraction": 0.0, "on_error": "raise"}, 13, out)
    return out


@pytest.fixture(scope="session")
def ctx(prepared):
    pool: dict = {}
    for d in human_descriptions(ROOT / "data/templates/descriptions.yaml"):
        pool.setdefault((d["lang"], d["task"], d["subtask"]), []).append(d)
    return Context(pool, load_labelsets(prepared), load_guidelines(ROOT / "data/guidelines"), PARAMS, 13)


@pytest.fixture(scope="session")
def seeds(prepared):
    return list(train_records(prepared, "general"))


def test_prepared_records_cover_every_task(seeds):
    assert {r["task"] for r in seeds} == {"ner", "re", "mrc", "cls"}
    assert len(seeds) == 40 * len(DATASETS)


def test_instruction_is_deterministic(seeds, ctx):
    for rec in seeds[::7]:
        assert instruction(rec, ctx, 0) == instruction(rec, ctx, 0)
        assert instruction(rec, ctx, 1)["id"] == f"{rec['dataset']}/{rec['id']}#1"


def test_seed_changes_output(seeds, ctx):
    other = Context(ctx.descriptions, ctx.labelsets, ctx.guidelines, ctx.params, 14)
    assert [instruction(r, ctx, 0) for r in seeds] != [instruction(r, other, 0) for r in seeds]


@pytest.mark.parametrize("seed", range(6))
def test_answers_match_gold(seeds, ctx, seed):
    c = Context(ctx.descriptions, ctx.labelsets, ctx.guidelines, ctx.params, seed)
    kinds, formats = set(), set()
    for rec in seeds:
        for out in instructions_for(rec, c):
            assert answer_problem(out) is None, out
            assert [m["role"] for m in out["messages"]] == ["system", "user", "assistant"]
            assert rec["text"] in out["messages"][1]["content"]
            kinds.add(out["meta"]["kind"])
            formats.add(out["meta"]["format"])
    assert kinds == {"basic", "compound"}
    assert formats == {"json", "lines", "table", "kv"}


def test_meta_records_gold_and_choices(seeds, ctx):
    rec = next(r for r in seeds if r["task"] == "mrc")
    out = instruction(rec, ctx, 0)
    meta = out["meta"]
    assert meta["gold"] == [[rec["answers"][0]["text"]]]
    assert (meta["task"], meta["subtask"], meta["dataset"], meta["seed_id"]) == ("mrc", "extractive", "xquad_en", rec["id"])
    assert out["messages"][1]["content"].endswith(f"Question: {rec['question']}")


def test_generate_step_rejects_unknown_language(seeds, ctx):
    step = Generate(ctx)
    kept, rejected = step([seeds[0], {**seeds[1], "lang": "de"}])
    assert len(kept) == PARAMS["per_record"]
    assert rejected == [
        {"reason": f"no descriptions for ('de', {seeds[1]['task']!r}, 'classify')", "record": {**seeds[1], "lang": "de"}}
    ]


def test_tampered_answer_is_detected(seeds, ctx):
    out = next(
        o
        for r in seeds
        if r["task"] == "ner"
        for o in instructions_for(r, ctx)
        if o["meta"]["gold"] and o["meta"]["format"] == "json"
    )
    out["messages"][2]["content"] += "\n"  # surrounding whitespace is fine
    assert answer_problem(out) is None
    out["messages"][2]["content"] = "[]"
    assert answer_problem(out) == "answer does not parse back to its gold annotation"
    out["messages"][2]["content"] = "not json"
    assert answer_problem(out) == "answer does not parse: json: Expecting value"


def test_instruction_language_follows_input_unless_configured(seeds, ctx):
    record = next(r for r in seeds if r["task"] == "ner")
    assert instruction(record, ctx, 0)["meta"]["lang"] == "en"
    forced = Context(ctx.descriptions, ctx.labelsets, ctx.guidelines, {**ctx.params, "instruction_lang": "zh"}, ctx.seed)
    out = instruction(record, forced, 0)
    assert out["meta"]["lang"] == "zh"
    assert out["meta"]["description_id"].startswith("zh.ner.")
    assert out["meta"]["guidelines"] == []  # the accepted guidelines are English only
    assert "文本" in out["messages"][1]["content"]
    assert answer_problem(out) is None


@pytest.mark.parametrize(("labels", "rows"), [(["a", "b"], [["a"], ["b"]]), ([], [])])
def test_multi_label_classification(ctx, labels, rows):
    record = {"id": "m1", "dataset": "banking77", "task": "cls", "lang": "en", "text": "t", "labels": labels, "multi_label": True}
    multi = Context(ctx.descriptions, {**ctx.labelsets, "banking77": ["a", "b", "c", "d"]}, ctx.guidelines, ctx.params, 7)
    outs = [instruction(record, multi, k) for k in range(6)]
    assert {o["meta"]["subtask"] for o in outs} == {"multi"}
    assert all(o["meta"]["gold"] == rows and answer_problem(o) is None for o in outs)
    assert all(set(labels) <= set(o["meta"]["labels"]) for o in outs)


def test_unusable_seeds_are_rejected_with_a_reason(seeds, ctx):
    ner = next(r for r in seeds if r["task"] == "ner")
    empty = Context(ctx.descriptions, {**ctx.labelsets, ner["dataset"]: []}, ctx.guidelines, ctx.params, 13)
    _, rejected = Generate(empty)([ner])
    assert rejected[0]["reason"] == f"dataset {ner['dataset']!r} has an empty label set"
    single = Context(
        ctx.descriptions,
        ctx.labelsets,
        ctx.guidelines,
        {**ctx.params, "subtasks": {**PARAMS["subtasks"], "cls": ["classify"]}},
        13,
    )
    multi = {"id": "m", "dataset": "banking77", "task": "cls", "lang": "en", "text": "t", "labels": ["a"], "multi_label": True}
    assert Generate(single)([multi])[1][0]["reason"] == "sub-task 'multi' is not enabled for 'cls'"


def test_a_value_a_format_cannot_hold_falls_back_to_json(ctx):
    from hum.formats import FORMATS  # noqa: PLC0415
    from hum.generate import renderable  # noqa: PLC0415

    assert renderable(FORMATS["lines"], [("a | b", "x")], ("type", "entity"), None).name == "json"
    assert renderable(FORMATS["lines"], [("None",)], ("entity",), None).name == "json"
    assert renderable(FORMATS["lines"], [("Ann",)], ("entity",), None).name == "lines"
