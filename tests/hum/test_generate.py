from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import DATA, FORMATS, GEN_PARAMS, generation_context
from hum.answers import answer_problem, query_of
from hum.generate import Generate, instruction, instructions_for
from hum.prepare import prepare_dataset, train_records
from hum.records import input_text, message
from hum.rules import RULES, apply_rules, rule_columns

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
    return generation_context(prepared, 13, **PARAMS)


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
    other = replace(ctx, seed=14)
    assert [instruction(r, ctx, 0) for r in seeds] != [instruction(r, other, 0) for r in seeds]


@pytest.mark.parametrize("seed", range(6))
def test_answers_match_gold(seeds, ctx, seed):
    c = replace(ctx, seed=seed)
    kinds, layouts = set(), set()
    for rec in seeds:
        for out in instructions_for(rec, c):
            assert answer_problem(out) is None, out
            assert [m["role"] for m in out["messages"]] in (["system", "user", "assistant"], ["user", "assistant"])
            if not out["meta"]["negative"]:
                assert input_text(out) == rec["text"]
            kinds.add(out["meta"]["kind"])
            layouts.add(out["meta"]["layout"])
    assert kinds == {"basic", "compound"}
    assert layouts == set(GEN_PARAMS["layouts"])


def test_every_format_is_used(seeds, ctx):
    outs = [o for s in range(4) for r in seeds for o in instructions_for(r, replace(ctx, seed=s))]
    assert {o["meta"]["format"] for o in outs if o["meta"]["task"] != "generalist"} == set(FORMATS)


def test_meta_records_gold_and_choices(seeds, ctx):
    rec, out = next((r, o) for r in seeds if r["task"] == "mrc" for o in instructions_for(r, ctx) if not o["meta"]["negative"])
    meta = out["meta"]
    assert meta["gold"] == [[rec["answers"][0]["text"]]]
    assert (meta["task"], meta["subtask"], meta["dataset"], meta["seed_id"]) == ("mrc", "extractive", "xquad_en", rec["id"])
    assert rec["question"] in message(out, "user")
    assert meta["slots"]["question"] == rec["question"]


def test_generate_step_rejects_unknown_language(seeds, ctx):
    step = Generate(ctx)
    kept, rejected = step([seeds[0], {**seeds[1], "lang": "de"}])
    assert sum(r["meta"]["task"] != "generalist" for r in kept) == PARAMS["per_record"]
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
    out["messages"][-1]["content"] += "\n"  # surrounding whitespace is fine
    assert answer_problem(out) is None
    out["messages"][-1]["content"] = "[]"
    assert answer_problem(out) == "answer does not parse back to its gold annotation"
    out["messages"][-1]["content"] = "not json"
    assert answer_problem(out) == "answer does not parse: json: Expecting value"


def test_instruction_language_follows_input_unless_configured(seeds, ctx):
    record = next(r for r in seeds if r["task"] == "ner")
    assert instruction(record, ctx, 0)["meta"]["lang"] == "en"
    forced = replace(ctx, params={**ctx.params, "instruction_lang": "zh"})
    outs = [o for k in range(8) if (o := instruction(record, forced, k))]
    assert {o["meta"]["lang"] for o in outs} == {"zh"}
    assert all(o["meta"]["description_id"].startswith("zh.ner.") for o in outs)
    assert all(o["meta"]["guidelines"] == [] for o in outs)  # the accepted guidelines are English only
    assert all(answer_problem(o) is None for o in outs)


@pytest.mark.parametrize(("labels", "rows"), [(["a", "b"], [["a"], ["b"]]), ([], [])])
def test_multi_label_classification(ctx, labels, rows):
    record = {"id": "m1", "dataset": "banking77", "task": "cls", "lang": "en", "text": "t", "labels": labels, "multi_label": True}
    multi = replace(ctx, labelsets={**ctx.labelsets, "banking77": ["a", "b", "c", "d"]}, seed=7)
    outs = [instruction(record, multi, k) for k in range(6)]
    assert {o["meta"]["subtask"] for o in outs} == {"multi"}
    assert all(o["meta"]["gold"] == rows and answer_problem(o) is None for o in outs)
    assert all(set(labels) <= set(o["meta"]["labels"]) for o in outs)


def test_unusable_seeds_are_rejected_with_a_reason(seeds, ctx):
    ner = next(r for r in seeds if r["task"] == "ner")
    empty = replace(ctx, labelsets={**ctx.labelsets, ner["dataset"]: []})
    _, rejected = Generate(empty)([ner])
    assert rejected[0]["reason"] == f"dataset {ner['dataset']!r} has an empty label set"
    single = replace(ctx, params={**ctx.params, "subtasks": {**PARAMS["subtasks"], "cls": ["classify"]}})
    multi = {"id": "m", "dataset": "banking77", "task": "cls", "lang": "en", "text": "t", "labels": ["a"], "multi_label": True}
    assert Generate(single)([multi])[1][0]["reason"] == "sub-task 'multi' is not enabled for 'cls'"


def test_a_value_a_format_cannot_hold_falls_back_to_json(ctx):
    from hum.formats import FORMATS  # noqa: PLC0415
    from hum.generate import renderable  # noqa: PLC0415

    assert renderable(FORMATS["lines"], [("a\nb", "x")], ("type", "entity"), None)[0].name == "lines", "escaped"
    assert renderable(FORMATS["lines"], [("",)], ("entity",), None)[0].name == "json", "a blank line is no item"
    assert renderable(FORMATS["lines"], [("None",)], ("entity",), None)[0].name == "json"
    assert renderable(FORMATS["lines"], [("Ann",)], ("entity",), None)[0].name == "lines"


def empty_share(outs):
    outs = [o for o in outs if o["meta"]["task"] != "generalist"]
    return sum(not apply_rules(o["meta"]["rules"], query_of(o["meta"])) for o in outs) / len(outs)


@pytest.mark.parametrize("dataset", ["wnut17", "crossner_ai", "semeval2010_task8", "xquad_en"])
def test_empty_share_meets_its_target(seeds, ctx, dataset):
    # (the fewrel sample holds one relation type only: no absent label to ask for, so no empty answer can be made)
    outs = [o for s in range(5) for r in seeds if r["dataset"] == dataset for o in instructions_for(r, replace(ctx, seed=s))]
    assert abs(empty_share(outs) - GEN_PARAMS["empty"]["target"]) <= 0.05


def test_mrc_negatives_hold_none_of_the_answers(seeds, ctx):
    mrc = [r for r in seeds if r["task"] == "mrc"]
    outs = [o for s in range(5) for r in mrc for o in instructions_for(r, replace(ctx, seed=s)) if o["meta"]["negative"]]
    assert outs
    by_id = {r["id"]: r for r in mrc}
    for out in outs:
        seed = by_id[out["meta"]["seed_id"]]
        assert input_text(out) != seed["text"]
        assert all(a["text"].casefold() not in input_text(out).casefold() for a in seed["answers"])
        assert out["meta"]["gold"] == []


def test_guidelines_follow_the_label_set_not_the_dataset_name(prepared, seeds):
    always = {**GEN_PARAMS["guidelines"], "p_instruction": 1.0}
    renamed = generation_context(prepared, 13, **{**PARAMS, "compound_ratio": 1.0, "guidelines": always})
    labelsets = {**renamed.labelsets, "my_tweets": renamed.labelsets["wnut17"]}
    ctx = replace(renamed, labelsets=labelsets, stats={**renamed.stats, "my_tweets": renamed.stats["wnut17"]})
    outs = [o for r in seeds if r["dataset"] == "wnut17" for o in instructions_for({**r, "dataset": "my_tweets"}, ctx)]
    guided = [o for o in outs if o["meta"]["guidelines"]]
    assert len(guided) >= 0.5 * len(outs)
    assert {o["meta"]["guideline_file"] for o in guided} == {"wnut17"}
    assert all(answer_problem(o) is None for o in outs)


def test_phrasings_vary_and_are_recorded(seeds, ctx):
    outs = [o for s in range(3) for r in seeds for o in instructions_for(r, replace(ctx, seed=s))]
    specs = {o["meta"]["phrasings"]["format"] for o in outs} - {None}
    rules = {p for o in outs for p in o["meta"]["phrasings"]["rules"]}
    systems = {o["meta"]["phrasings"]["system"] for o in outs} - {None}
    assert len(specs) >= 20
    assert len(rules) >= 20
    assert len(systems) >= 3
    assert any(o["messages"][0]["role"] == "user" for o in outs)  # layouts without a system message


def test_classification_reason_comes_from_the_accepted_guideline(seeds, ctx):
    cls = [r for r in seeds if r["dataset"] == "banking77"]
    outs = [o for s in range(6) for r in cls for o in instructions_for(r, replace(ctx, seed=s))]
    outs = [o for o in outs if "cls:reason" in o["meta"]["rules"]]
    assert outs
    guideline = ctx.guideline("banking77", "en")
    for out in outs:
        label = out["meta"]["gold"][0][0]
        assert out["meta"]["slots"]["reason"] == guideline.entry(label)["definition"]
        assert "answer:only" not in out["meta"]["rules"]
        assert answer_problem(out) is None


def test_gold_generalist_requests_are_answered_from_gold(seeds, ctx):
    outs = [o for s in range(4) for r in seeds for o in instructions_for(r, replace(ctx, seed=s))]
    asked = [o for o in outs if o["meta"]["task"] == "generalist"]
    share = len(asked) / len(seeds) / 4
    assert abs(share - GEN_PARAMS["p_request"]) < 0.1
    assert len({o["meta"]["subtask"] for o in asked}) >= 8
    by_id = {(r["dataset"], r["id"]): r for r in seeds}
    for out in asked:
        meta = out["meta"]
        assert out["id"].endswith("#r")
        assert input_text(out) == by_id[meta["dataset"], meta["seed_id"]]["text"]
        assert message(out, "assistant") == meta["gold"][0][0]
        assert answer_problem(out) is None


def test_a_format_fallback_is_recorded(seeds, ctx):
    rec = next(r for r in seeds if r["dataset"] == "wnut17")
    text = "We met at None today."  # a club named None: alone on its line, it reads as the empty answer
    odd = {**rec, "text": text, "entities": [{"start": 10, "end": 14, "text": "None", "type": "location"}]}
    subtasks = {**ctx.params["subtasks"], "ner": ["by_type"]}
    params = {**ctx.params, "formats": ["lines"], "compound_ratio": 1.0, "p_format": 1.0, "subtasks": subtasks}
    lines_only = replace(ctx, params=params)
    outs = [o for k in range(8) if (o := instruction(odd, lines_only, k)) and o["meta"]["gold"]]
    assert any(o["meta"]["fallback"] for o in outs)
    assert all(o["meta"]["fallback"] == (o["meta"]["format"] == "json") for o in outs)
    assert all(answer_problem(o) is None for o in outs)


def test_rules_are_switched_on_by_config(seeds, ctx):
    on = sorted(set(RULES) - {"dup:once", "order:alpha", "empty:na"})
    params = {**ctx.params, "rules": on, "compound_ratio": 1.0, "p_rules": 1.0}
    outs = [o for s in range(2) for r in seeds for o in instructions_for(r, replace(ctx, params=params, seed=s))]
    stated = {rule for o in outs for rule in o["meta"]["rules"]}
    assert stated <= set(on)
    assert len(stated) >= 10
    none = replace(ctx, params={**params, "rules": []})
    assert not any(o["meta"]["rules"] for r in seeds for o in instructions_for(r, none))


def format_shape(out):
    """The pool the stated format phrasing came from (`format.<name>.<lang>.<shape>.<i>`), or None when none is stated."""
    spec = out["meta"]["phrasings"]["format"]
    return spec and spec.split(".")[3]


def stating_formats(ctx, lang=None):
    return replace(ctx, params={**ctx.params, "compound_ratio": 1.0, "p_format": 1.0, "instruction_lang": lang})


@pytest.mark.parametrize("lang", [None, "zh"])
def test_a_single_answer_states_a_format_worded_for_one(seeds, ctx, lang):
    """A single-label class or an extractive answer span holds one item: its format spec is drawn from `single`."""
    single = [r for r in seeds if r["dataset"] in {"banking77", "xquad_en"}]
    outs = [o for s in range(3) for r in single for o in instructions_for(r, replace(stating_formats(ctx, lang), seed=s))]
    outs = [o for o in outs if o["meta"]["task"] != "generalist"]
    assert {(o["meta"]["task"], o["meta"]["subtask"]) for o in outs} == {("cls", "classify"), ("mrc", "extractive")}
    assert all(format_shape(o) for o in outs)
    for out in outs:
        meta = out["meta"]
        width = len(rule_columns(meta["rules"], tuple(meta["columns"])))
        assert (format_shape(out) == "single") == (width == 1), meta["phrasings"]  # a label with its reason names both fields
        assert meta["phrasings"]["format"].startswith(f"format.{meta['format']}.{meta['lang']}.")
        assert answer_problem(out) is None
    assert {o["meta"]["format"] for o in outs if format_shape(o) == "single"} >= set(FORMATS) - {"json_grouped"}


def test_a_multi_label_or_ner_answer_never_states_a_single_format(seeds, ctx):
    """Multi-label classes and entities may be several: their format spec never says one."""
    multi = {"id": "m1", "dataset": "banking77", "task": "cls", "lang": "en", "text": "t", "labels": ["a"], "multi_label": True}
    labelled = replace(stating_formats(ctx), labelsets={**ctx.labelsets, "banking77": ["a", "b", "c", "d"]})
    outs = [instruction(multi, labelled, k) for k in range(12)]
    outs += [o for r in seeds if r["task"] == "ner" for o in instructions_for(r, stating_formats(ctx))]
    outs = [o for o in outs if o["meta"]["task"] != "generalist"]
    assert {o["meta"]["subtask"] for o in outs} == {"multi", "extract", "by_type"}
    assert all(format_shape(o) in {"one", "many", "any"} for o in outs)
    assert any(format_shape(o) == "one" for o in outs if o["meta"]["subtask"] in {"multi", "by_type"})
