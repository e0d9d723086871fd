from __future__ import annotations

import json
import random
import runpy
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import yaml

from hum.decontaminate import (
    _P,
    _TOKEN,
    Decontaminate,
    EvalIndex,
    Hashed,
    Screen,
    Sizes,
    _mulmod,
    _reduced,
    joined,
    normalise,
    tokens,
)
from hum.errors import HumInputError
from hum.io import dumps
from hum.records import meta_record

ROOT = Path(__file__).resolve().parents[2]
NEWS = "The committee approved the new budget for the city library after a long debate on Tuesday evening"  # 17 words
SHORT = "Can you track my card for me?"  # 7 words: compared whole
QUESTION = "How old was Peyton Manning when he played in Super Bowl 50?"  # 12 words: an MRC question, shorter than n
PASSAGE = "Peyton Manning became the first quarterback ever to lead two different teams to multiple Super Bowls."
ZH = "波兰领土划分的基本单位是市镇一个城市也是一个市镇但有城市宪章由市长管理"  # 34 characters
OTHER = "A completely different sentence about the weather in Oslo, which was cold and wet all week long."
EVAL = {
    "news": [{"id": "news-eval-3", "task": "ner", "lang": "en", "text": NEWS}],
    "banking": [{"id": "banking-eval-9", "task": "cls", "lang": "en", "text": SHORT}],
    "squad": [{"id": "squad-eval-7", "task": "mrc", "lang": "en", "text": PASSAGE, "question": QUESTION}],
    "xquad_zh": [{"id": "zh-eval-1", "task": "ner", "lang": "zh", "text": ZH}],
}
CFG = {"n": 13, "n_cjk": 20, "min_matches": 1, "min_share": 0.0, "min_contained": 6, "min_contained_cjk": 10, "benchmarks": []}


def rec(rid, text, before="List every entity of type person.\n\nText:\n", after="", task="ner"):
    user = before + text + after
    return {
        "id": rid,
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": "[]"}],
        "meta": meta_record(
            task=task, subtask="extract", dataset="toy", seed_id=rid, lang="en", kind="basic", format="json",
            text_span=[len(before), len(before) + len(text)],
        ),
    }  # fmt: skip


def prepared(tmp_path, evals=None):
    folder = tmp_path / "prepared"
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in (EVAL if evals is None else evals).items():
        lines = [json.dumps({"dataset": name, **r}, ensure_ascii=False) + "\n" for r in records]
        (folder / f"{name}.eval.jsonl").write_text("".join(lines), encoding="utf-8")
        (folder / f"{name}.train.jsonl").write_text(json.dumps({"id": "t", "text": NEWS}) + "\n", encoding="utf-8")  # not read
    return folder


def run(tmp_path, records, evals=None, **cfg):
    step = Decontaminate.from_config(prepared(tmp_path, evals), CFG | cfg)
    kept, rejected = step(records)
    return step, [r["id"] for r in kept], {r["record"]["id"]: r for r in rejected}


def test_tokens_are_case_punctuation_and_width_blind_and_cjk_per_character():
    assert tokens("The NEW-budget, for the city's library!!") == ["the", "new", "budget", "for", "the", "city", "s", "library"]
    assert tokens("Ｈｅｌｌｏ  world_2024") == ["hello", "world", "2024"]
    assert tokens("波兰的市镇 (gmina)。") == ["波", "兰", "的", "市", "镇", "gmina"]
    assert joined(tokens("波兰的市镇 (gmina) 一个")) == "波兰的市镇 gmina 一个"


FR = "Le comité a approuvé le budget de la bibliothèque municipale après un débat très animé mardi soir à Genève"
ZW = "\u200b"


def full_width(text):
    """ASCII letters and digits as their full-width forms (U+FF01 onwards)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


VARIANTS = {
    "nfd accents": unicodedata.normalize("NFD", FR),
    "no accents": "Le comite a approuve le budget de la bibliotheque municipale apres un debat tres anime mardi soir a Geneve",
    "zero-width inside words": FR.replace("budget", f"bud{ZW}get").replace("municipale", "muni\u00adci\u2060pale")
    .replace("approuvé", f"ap{ZW}prou\u200dvé\ufeff"),
    "changed punctuation": "« Le comité » a approuvé — le budget de la bibliothèque municipale… après un débat (très animé), "
    "mardi-soir, à Genève !",
    "full-width letters": full_width(FR),
}  # fmt: skip


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_of_an_eval_text_are_still_caught(tmp_path, variant):
    evals = {"fr": [{"id": "fr-eval-1", "text": FR}]}
    text = VARIANTS[variant]
    assert text != FR
    _, kept, removed = run(tmp_path, [rec("a", "Selon la presse : " + text + " Fin."), rec("b", OTHER)], evals=evals)
    assert kept == ["b"]
    assert removed["a"]["reason"] == "input: n-gram overlap"
    assert removed["a"]["eval"] == {"dataset": "fr", "id": "fr-eval-1"}


def test_nfd_eval_side_catches_nfc_training_text(tmp_path):
    evals = {"fr": [{"id": "fr-eval-1", "text": unicodedata.normalize("NFD", FR)}]}
    _, kept, removed = run(tmp_path, [rec("a", FR)], evals=evals)
    assert kept == []
    assert removed["a"]["reason"] == "input: same as eval text"


def test_normalise_is_deterministic_and_blind_to_invisible_differences():
    expected = "le comite a approuve le budget de la bibliotheque municipale apres un debat tres anime mardi soir a geneve"
    for text in VARIANTS.values():
        assert " ".join(tokens(text)) == expected
        assert normalise(normalise(text)) == normalise(text)  # idempotent: the eval and training side agree
    assert Hashed(tokens(VARIANTS["nfd accents"])).whole() == Hashed(tokens(VARIANTS["full-width letters"])).whole()
    assert tokens("ｶﾞ が か Straße ﬁne İstanbul") == ["ガ", "が", "か", "strasse", "fine", "istanbul"]  # kana voicing kept
    assert [normalise("Ａb\u0301c") for _ in range(3)] == ["abc"] * 3


def test_shared_13_gram_is_removed_and_names_the_eval_record(tmp_path):
    text = "Reporters said that the committee approved the new budget for the city library after a long debate."
    step, kept, removed = run(tmp_path, [rec("a", text), rec("b", OTHER)])
    assert kept == ["b"]
    assert removed["a"]["reason"] == "input: n-gram overlap"
    assert removed["a"]["field"] == "input"
    assert removed["a"]["eval"] == {"dataset": "news", "id": "news-eval-3"}
    assert removed["a"]["matches"] == 2  # two distinct 13-grams: the shared run is 14 words
    assert removed["a"]["overlap"] == "the committee approved the new budget for the city library after a long"
    assert step.stats["matched eval: news"] == 1


def test_only_12_shared_words_is_kept(tmp_path):
    text = "Yesterday the committee approved the new budget for the city library after a short speech."
    _, kept, removed = run(tmp_path, [rec("a", text)])
    assert (kept, removed) == (["a"], {})


def test_case_and_punctuation_differences_still_match(tmp_path):
    text = "THE COMMITTEE APPROVED the new-budget, for the city library; after a LONG debate!!"
    _, kept, removed = run(tmp_path, [rec("a", text)])
    assert kept == []
    assert removed["a"]["eval"]["id"] == "news-eval-3"


def test_short_text_equal_to_an_eval_text_is_removed(tmp_path):
    _, kept, removed = run(tmp_path, [rec("a", "can you TRACK my card,  for me"), rec("b", "Can you track my card?")])
    assert kept == ["b"]  # a different short text: no whole match, and shorter than the eval text
    assert removed["a"]["reason"] == "input: same as eval text"
    assert removed["a"]["eval"] == {"dataset": "banking", "id": "banking-eval-9"}
    assert removed["a"]["share"] == 1.0


def test_short_eval_text_quoted_inside_a_longer_input_is_removed(tmp_path):
    _, kept, removed = run(tmp_path, [rec("a", "Hello there. Can you track my card for me? It is late.")])
    assert kept == []
    assert removed["a"]["reason"] == "input: contains eval text"
    assert removed["a"]["overlap"] == "can you track my card for me"


def test_chinese_uses_character_n_grams(tmp_path):
    shares_20 = "据报道，" + ZH[5:25] + "。"
    shares_19 = "据报道，" + ZH[5:24] + "。"
    _, kept, removed = run(tmp_path, [rec("a", shares_20), rec("b", shares_19)])
    assert kept == ["b"]
    assert removed["a"]["eval"] == {"dataset": "xquad_zh", "id": "zh-eval-1"}
    assert removed["a"]["overlap"] == ZH[5:25]


def test_mrc_eval_question_leaking_into_a_request_is_caught(tmp_path):
    lead = "Answer the question from the passage.\n\nPassage:\n"
    leaked = rec("a", OTHER, before=lead, after=f"\n\nQuestion: {QUESTION.upper()}")
    fine = rec("b", OTHER, before=lead, after="\n\nQuestion: How wet was Oslo?")
    _, kept, removed = run(tmp_path, [leaked, fine])
    assert kept == ["b"]
    assert removed["a"]["reason"] == "request: contains eval text"
    assert removed["a"]["field"] == "request"
    assert removed["a"]["eval"] == {"dataset": "squad", "id": "squad-eval-7"}


def test_extra_benchmark_file(tmp_path):
    bench = tmp_path / "mmlu_like.jsonl"
    prompt = "Which of the following best explains why the sky appears blue to an observer standing on the ground at noon?"
    bench.write_text(json.dumps({"prompt": prompt}) + "\n" + json.dumps({"id": "q2", "prompt": "x"}) + "\n", encoding="utf-8")
    text = "Quiz: which of the following best explains why the sky appears blue to an observer standing on the beach?"
    benchmarks = [{"path": str(bench), "field": "prompt"}]
    step, kept, removed = run(tmp_path, [rec("a", text), rec("b", OTHER)], benchmarks=benchmarks)
    assert kept == ["b"]
    assert removed["a"]["eval"] == {"dataset": "mmlu_like", "id": "line 1"}  # named after the file; no id: its line
    _, _, removed = run(tmp_path, [rec("a", text)], benchmarks=[{**benchmarks[0], "name": "mmlu"}])
    assert removed["a"]["eval"]["dataset"] == "mmlu"
    assert step.stats["eval records"] == 6


def test_missing_benchmark_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nowhere" / "bench.jsonl"
    with pytest.raises(HumInputError) as info:
        run(tmp_path, [rec("a", OTHER)], benchmarks=[{"path": str(missing), "field": "text"}])
    assert str(info.value) == f"{missing}: file: field '<file>': no such file (listed in decontaminate.benchmarks)"


def test_benchmark_record_without_the_field_is_an_error(tmp_path):
    bench = tmp_path / "bench.jsonl"
    bench.write_text('{"text": "fine"}\n{"question": "no text"}\n', encoding="utf-8")
    with pytest.raises(HumInputError, match=r"bench.jsonl: line 2: field 'text': missing"):
        run(tmp_path, [], benchmarks=[{"path": str(bench)}])


def test_unknown_config_key_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="unknown keys \\['ngram'\\]"):
        run(tmp_path, [], ngram=13)


def test_min_matches_and_min_share(tmp_path):
    one = "Reporters said that the committee approved the new budget for the city library after a long talk on the phone."
    _, kept, _ = run(tmp_path, [rec("a", one)], min_matches=2)  # one distinct 13-gram only
    assert kept == ["a"]
    _, kept, _ = run(tmp_path, [rec("a", one)], min_share=0.8)  # 13 of 20 words covered
    assert kept == ["a"]
    _, kept, removed = run(tmp_path, [rec("a", one)], min_share=0.6)
    assert kept == []
    assert removed["a"]["share"] == round(13 / 20, 4)


def test_deterministic_and_first_eval_dataset_wins(tmp_path):
    evals = {"b_set": [{"id": "b-1", "text": NEWS}], "a_set": [{"id": "a-1", "text": NEWS}], **EVAL}
    batch = [rec(str(i), t) for i, t in enumerate([NEWS, SHORT, OTHER, "据报道，" + ZH, PASSAGE + " " + QUESTION])]
    outputs = []
    for _ in range(2):
        step, _, removed = run(tmp_path, batch, evals=evals)
        kept, rejected = Decontaminate.from_config(tmp_path / "prepared", CFG)(batch)
        outputs.append(dumps([kept, rejected, dict(step.stats)]))
        assert removed["0"]["eval"] == {"dataset": "a_set", "id": "a-1"}  # datasets in name order, the first keeps the hash
    assert outputs[0] == outputs[1]
    assert Hashed(["the", "city"]).whole() == 941389087624857234  # blake2b-based: the same in every process


def test_stage_writes_outputs_manifest_and_metrics(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    prepared(tmp_path / "data")
    deduped = tmp_path / "data" / "deduped"
    deduped.mkdir()
    records = [rec("a", NEWS + "!"), rec("b", OTHER), rec("c", SHORT)]
    (deduped / "instructions.jsonl").write_text("".join(dumps(r) + "\n" for r in records), encoding="utf-8")
    (deduped / "manifest.json").write_text(json.dumps({"model": "fake:1"}), encoding="utf-8")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"decontaminate": CFG}), encoding="utf-8")
    runpy.run_path(str(ROOT / "stages" / "decontaminate.py"), run_name="__main__")
    out = tmp_path / "data" / "decontaminated"
    assert [json.loads(line)["id"] for line in (out / "instructions.jsonl").read_text().splitlines()] == ["b"]
    removed = [json.loads(line) for line in (out / "removed.jsonl").read_text().splitlines()]
    assert [(r["record"]["id"], r["reason"], r["eval"]["id"]) for r in removed] == [
        ("a", "input: same as eval text", "news-eval-3"),
        ("c", "input: same as eval text", "banking-eval-9"),
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["stage"], manifest["params"], manifest["model"]) == ("decontaminate", {"decontaminate": CFG}, "fake:1")
    metrics = json.loads((tmp_path / "metrics" / "decontaminate.json").read_text())
    assert metrics == manifest["counts"]
    assert {k: metrics[k] for k in ("in", "out", "matched eval: news", "matched eval: banking", "eval records")} == {
        "in": 3,
        "out": 1,
        "matched eval: news": 1,
        "matched eval: banking": 1,
        "eval records": 4,
    }
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("[decontaminate] 3 in, 1 out, 2 rejected (input: same as eval text: 2); eval side: 5 texts, ")


def test_ascii_tokens_are_those_of_the_general_pattern():
    rng = random.Random(7)
    texts = ["".join(map(chr, range(128))), *("".join(chr(rng.randrange(128)) for _ in range(40)) for _ in range(2000))]
    assert all(tokens(t) == _TOKEN.findall(normalise(t)) for t in texts)


def test_numpy_modular_arithmetic_matches_python_integers():
    rng = random.Random(5)
    edges = [0, 1, 2, (1 << 31) - 1, 1 << 31, (1 << 32) + 3, _P - 2, _P - 1]
    a = edges + [rng.randrange(_P) for _ in range(5000)]
    b = edges[::-1] + [rng.randrange(_P) for _ in range(5000)]
    products = _mulmod(np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64))
    assert products.tolist() == [x * y % _P for x, y in zip(a, b, strict=True)]
    big = [_P, _P + 1, 2 * _P, (1 << 64) - 1, *(rng.randrange(1 << 64) for _ in range(5000))]
    assert _reduced(np.array(big, dtype=np.uint64)).tolist() == [x % _P for x in big]


def test_screen_hits_exactly_the_texts_with_an_eval_hash():
    rng = random.Random(11)
    words = [f"w{i}" for i in range(6)]  # a tiny vocabulary, so that windows often repeat an eval text's
    sizes = Sizes(n=5, n_cjk=7, min_contained=3, min_contained_cjk=5)
    index = EvalIndex(sizes)
    for i in range(40):
        index.add("eval", str(i), [" ".join(rng.choices(words, k=rng.randint(1, 12)))])
    texts = [rng.choices(words, k=rng.choice([0, 1, 2, 3, 4, 5, 8, 30])) for _ in range(3000)]
    hashes = {size: set(index.heads) if size in sizes.heads else set() for size in sizes.grams | sizes.heads}
    for size in sizes.grams:
        hashes[size] |= set(index.grams)

    def hit(toks):
        hashed = Hashed(toks)
        windows = any(h in keys for size, keys in hashes.items() for _, h in hashed.windows(size))
        return bool(toks) and (hashed.whole() in index.wholes or windows)

    expected = [hit(t) for t in texts]
    assert Screen(index).hits(texts) == expected
    assert 0 < sum(expected) < len(texts)
    assert Screen(index).hits([[], []]) == [False, False]


def test_repeated_inputs_in_a_batch_are_each_removed(tmp_path):
    text = "Reporters said that the committee approved the new budget for the city library after a long debate."
    records = [rec("a", text), rec("b", OTHER), rec("c", text, after="\n\nBe brief."), rec("d", OTHER)]
    _, kept, removed = run(tmp_path, records)
    assert kept == ["b", "d"]
    assert [removed[i]["reason"] for i in ("a", "c")] == ["input: n-gram overlap"] * 2
