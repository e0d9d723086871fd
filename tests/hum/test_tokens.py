from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import pytest
import yaml
from llama_cpp import Llama

from hum import tokens
from hum.io import read_jsonl
from hum.llm.embedded import embedded_model_path, file_sha256
from hum.records import meta_record
from hum.schemas import texts
from hum.tokens import LLAMACPP_TARGET, SMOLLM, SPLITTABLE, ApproximateTokenizer, GgufTokenizer, split_of, tokenizer
from hum.validate import Validate

ROOT = Path(__file__).resolve().parents[2]
CHINESE = "中华人民共和国成立于1949年。"  # 16 characters: 11 CJK, 4 digits, a full stop
BUILT = [ROOT / "data/generated/instructions.jsonl", ROOT / "data/validated/instructions.jsonl"]  # DVC outputs
# What the pre-tokenizer treats apart: whitespace runs, digits, contractions in both cases, punctuation runs, words,
# chat-template markers (plain text here), and the non-ASCII letters and punctuation whose class hum knows
PARTS = [
    " ", "  ", "   ", "\t", "\n", "\r", "\r\n", "\n\n", " \n", "\t ", "\n ", "0", "7", "12", "2024", " 3", "3 ",
    "'s", "'S", "'t", "'T", "'re", "'Re", "'RE", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'d", "'D", "'", "''", "'x",
    "a", "Ann", "don", "it", "I", "THE", " word", "!", "...", "?!", "-", "(", ")", '"', "\\", "`", "~", "{", "}", "[",
    "]", "<|im_start|>", "<|im_end|>", "@", "#", "$", "%", "^", "&", "*", "_", "+", "=", "|", ";", ":", ",", ".", "/",
    "é", "Zoë", "Łódź", "ș", "·", "×", "–", "—", "…", "“", "”", "‘", "’", "→", "≤", "⊆", "中文", "人民", " 中", "，",
    "。", "：", "、", "？", "！", "（", "）", "【", "】", "《", "》", "「", "」",
]  # fmt: skip
# Texts llama.cpp counts whole: a character outside those (numbers but ASCII digits, combining marks, other
# whitespace or scripts, emoji, controls)
WHOLE = [
    "👍 ok", "a\x00b", "a\x0bb\x0c", "\x1f", "\x7f", "no\u00a0break", "\u3000中文", "½ 2² x³", "ﬁne", "e\u0301",
    "مرحبا بالعالم", "नमस्ते", "\u2028", "ひらがな カタカナ", "한국어", "𠀀𠀁", "\ufeffbom", "１２３", "々", "〇",
    "Привет, мир", "Ελληνικά",
]  # fmt: skip


def model_config(name: str) -> dict:
    return yaml.safe_load((ROOT / "conf/model" / f"{name}.yaml").read_text())


@pytest.fixture(scope="session")
def gguf():
    """The embedded SmolLM2 vocabulary, loaded once (vocab_only: no weights, no inference)."""
    return tokenizer(model_config("smollm2"))


@pytest.fixture(scope="session")
def reference(gguf):
    """llama-cpp-python's own count over the same vocabulary: what hum's counts must equal."""
    llama = Llama(model_path=str(gguf.path), vocab_only=True, verbose=False)
    return lambda many: [len(llama.tokenize(text.encode(), add_bos=False, special=False)) for text in many]


def test_embedded_config_uses_the_gguf_vocabulary(gguf):
    assert isinstance(gguf, GgufTokenizer)
    assert gguf.kind == "gguf"
    assert gguf.path == embedded_model_path()
    assert gguf.fingerprint == f"sha256:{file_sha256(embedded_model_path())}"  # as LlamaCppChat.fingerprint


def test_gguf_counts_are_plausible(gguf):
    hello, chinese, empty, special = gguf.count(["Hello world", CHINESE, "", "<|im_start|>"])
    assert 2 <= hello <= 3
    assert 8 <= chinese <= 3 * len(CHINESE)  # SmolLM2's English-centred vocabulary spends 1-3 tokens per Chinese character
    assert empty == 0
    assert special > 1  # special=False: chat-template markers in data are plain text, not one control token


def test_gguf_counts_grow_with_the_text(gguf):
    one, many = gguf.count(["Ann saw Bob.", "Ann saw Bob. " * 50])
    assert 40 * one <= many <= 60 * one


@pytest.mark.skipif(not all(path.exists() for path in BUILT), reason="pipeline outputs not built (dvc repro)")
def test_counts_are_llama_cpps_on_every_text_the_pipeline_built(gguf, reference):
    found = sorted({text for path in BUILT for record in read_jsonl(path) for text in texts(record)})
    assert sum(not text.isascii() for text in found) > 100, "Chinese texts among them"
    assert gguf.count(found) == reference(found)


def test_counts_are_llama_cpps_on_real_seed_texts(gguf, reference):
    squad = json.loads((ROOT / "data/seeds/mrc/xquad/xquad.zh.json").read_text(encoding="utf-8"))
    paragraphs = [p for article in squad["data"] for p in article["paragraphs"]]
    chinese = [p["context"] for p in paragraphs] + [q["question"] for p in paragraphs for q in p["qas"]]
    tasks = list(read_jsonl(ROOT / "data/seeds/general/self_instruct_seed_tasks.jsonl"))
    instances = [instance for task in tasks for instance in task["instances"]]
    english = [t["instruction"] for t in tasks] + [i["input"] for i in instances] + [i["output"] for i in instances]
    tweets = (ROOT / "data/seeds/ner/wnut17/emerging.dev.conll").read_text(encoding="utf-8").split("\n\n")
    found = chinese + english + tweets
    assert gguf.count(found) == reference(found)


def test_counts_are_llama_cpps_on_random_texts_built_to_stress_the_cut(gguf, reference):
    rng = random.Random(18)
    found = ["", *PARTS] + ["".join(rng.choices(PARTS, k=rng.randint(2, 24))) for _ in range(3000)]
    found += ["".join(rng.choices(" \t\n\r'sStTdDmlLrRvVeE0a!.中，", k=rng.randint(1, 30))) for _ in range(2000)]
    assert all(SPLITTABLE.fullmatch(text) for text in found), "all of them take the reproduced cut"
    assert gguf.count(found) == reference(found)


def test_counts_are_llama_cpps_on_texts_it_counts_whole(gguf, reference):
    assert not any(SPLITTABLE.fullmatch(text) for text in WHOLE)
    assert gguf.count(WHOLE) == reference(WHOLE)


def test_each_distinct_pre_token_is_counted_by_llama_cpp_once(gguf, reference, monkeypatch):
    fresh = GgufTokenizer(gguf.path)
    asked = []
    monkeypatch.setattr(fresh._pieces, "function", lambda piece: asked.append(piece) or reference([piece])[0])
    text = "Ann saw Bob's 2 dogs.  Ann saw Bob."
    assert fresh.count([text, text]) == reference([text, text])
    assert asked == ["Ann", " saw", " Bob", "'s", " ", "2", " dogs", ".", " Ann"]  # "  Ann": " " (met before "2"), " Ann"


def test_a_full_memory_of_pre_tokens_starts_again_with_the_same_counts(gguf, reference, monkeypatch):
    monkeypatch.setattr(tokens, "PIECES_KEPT", 8)
    small = GgufTokenizer(gguf.path)
    found = [" ".join(first + second for second in "abcdefghijkl") for first in "mnopqrstuvwxyz"]  # 168 distinct words
    assert small.count(found) == reference(found)
    assert 0 < len(small._pieces) <= 8


def test_only_a_reproduced_cut_splits_texts():
    smollm = {"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "smollm"}
    assert split_of(smollm, user_tokens=False) is SMOLLM
    assert split_of(smollm, user_tokens=True) is None, "llama.cpp cuts user-defined tokens out before its regex"
    assert split_of(smollm | {"tokenizer.ggml.pre": "llama-bpe"}, user_tokens=False) is None
    assert split_of({"tokenizer.ggml.model": "llama"}, user_tokens=False) is None


def test_a_gguf_tokenizer_travels_pickled_as_its_path(gguf):
    copy = pickle.loads(pickle.dumps(gguf))  # noqa: S301 - pickled right here
    assert (copy.path, copy.fingerprint, copy.kind) == (gguf.path, gguf.fingerprint, gguf.kind)
    sample = ["Ann saw Bob.", CHINESE]
    assert copy.count(sample) == gguf.count(sample)


def test_gguf_config_with_an_explicit_path():
    config = model_config("gguf") | {"path": str(embedded_model_path())}
    assert config["_target_"] == LLAMACPP_TARGET
    assert tokenizer(config).fingerprint == f"sha256:{file_sha256(embedded_model_path())}"


def test_missing_gguf_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.gguf"):
        tokenizer(model_config("gguf") | {"path": str(tmp_path / "missing.gguf")})


def test_server_model_gets_the_documented_approximation():
    approx = tokenizer(model_config("openai"))
    assert isinstance(approx, ApproximateTokenizer)
    assert approx.kind == "approximate"
    assert approx.fingerprint == "approximate:cjk+chars/4"
    assert approx.count(["Hello world", CHINESE, "", "中文 text"]) == [3, 11 + 2, 0, 2 + 2]


def test_validate_rejects_over_the_gguf_token_limit(gguf):
    user = "Find the persons.\n\nText:\n" + "Ann saw Bob in Paris. " * 20
    answer = '[{"type": "person", "entity": "Ann"}]'
    meta = meta_record(
        task="ner", subtask="extract", dataset="toy", seed_id="s", lang="en", kind="basic", format="json",
        columns=["type", "entity"], label_column="type", labels=["person"], gold=[["person", "Ann"]],
        text_span=[25, len(user)],
    )  # fmt: skip
    rec = {"id": "r", "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}], "meta": meta}
    n_user, n_answer = gguf.count([user, answer])
    step = Validate(8000, 4000, max_user_tokens=n_user - 1, max_answer_tokens=n_answer, tokenizer=gguf)
    kept, rejected = step([rec])
    assert kept == []
    assert rejected[0]["reason"] == f"instruction over {n_user - 1} tokens ({n_user} tokens)"
    kept, _ = Validate(8000, 4000, max_user_tokens=n_user, max_answer_tokens=n_answer, tokenizer=gguf)([rec])
    assert kept == [rec]
