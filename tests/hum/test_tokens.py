from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hum.llm.embedded import embedded_model_path, file_sha256
from hum.records import meta_record
from hum.tokens import LLAMACPP_TARGET, ApproximateTokenizer, GgufTokenizer, tokenizer
from hum.validate import Validate

ROOT = Path(__file__).resolve().parents[2]
CHINESE = "中华人民共和国成立于1949年。"  # 16 characters: 11 CJK, 4 digits, a full stop


def model_config(name: str) -> dict:
    return yaml.safe_load((ROOT / "conf/model" / f"{name}.yaml").read_text())


@pytest.fixture(scope="session")
def gguf():
    """The embedded SmolLM2 vocabulary, loaded once (vocab_only: no weights, no inference)."""
    return tokenizer(model_config("smollm2"))


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
