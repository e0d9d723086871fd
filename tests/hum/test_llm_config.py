"""Only hum's backends are built from `model:`; test doubles need an explicit opt-in; secrets stay out of configs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hum.llm.config import ALLOW_ENV, ModelConfigError, build_model, check_model
from hum.llm.openai import OpenAIChat
from hum.llm.replies import LazyChat

ALLOWED = "allowed: hum.llm.llamacpp.LlamaCppChat, hum.llm.openai.OpenAIChat"


@pytest.fixture(autouse=True)
def no_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_ENV, raising=False)


def test_builtins_open_is_refused_before_the_file_is_touched(tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    config = {"_target_": "builtins.open", "file": str(victim), "mode": "w"}
    for build in (build_model, LazyChat):
        refused = re.escape("model._target_: 'builtins.open' is not an allowed model backend")
        with pytest.raises(ModelConfigError, match=refused) as raised:
            build(config)
        assert ALLOWED in str(raised.value)
    assert victim.read_text() == "keep me"


def test_os_system_is_refused_before_the_command_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(ModelConfigError, match=re.escape("model._target_: 'os.system'")):
        LazyChat({"_target_": "os.system", "command": f"touch {marker}"})
    assert not marker.exists()


def test_a_missing_target_is_refused() -> None:
    with pytest.raises(ModelConfigError, match=re.escape("model._target_: None")):
        build_model({"path": "x.gguf"})


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"base_url": {"_target_": "os.system", "command": "true"}}, "model.base_url._target_"),
        ({"base_url": "http://x", "model": [{"_target_": "builtins.open", "file": "f"}]}, r"model.model\[0\]._target_"),
        ({"base_url": "http://x", "model": "m", "_partial_": True}, "model._partial_"),
    ],
)
def test_nested_targets_and_hydra_keys_are_refused(config: dict[str, object], key: str) -> None:
    with pytest.raises(ModelConfigError, match=key):
        build_model({"_target_": "hum.llm.openai.OpenAIChat", **config})


def test_a_literal_api_key_is_refused_without_echoing_it() -> None:
    config = {"_target_": "hum.llm.openai.OpenAIChat", "base_url": "http://x", "model": "m", "api_key": "sk-secret-1"}
    with pytest.raises(ModelConfigError, match=r"model\.api_key: .*OPENAI_API_KEY") as raised:
        build_model(config)
    assert "sk-secret-1" not in str(raised.value)


def test_the_openai_backend_builds_and_a_null_api_key_is_ignored() -> None:
    model = build_model({"_target_": "hum.llm.openai.OpenAIChat", "base_url": "http://x/v1/", "model": "m", "api_key": None})
    assert isinstance(model, OpenAIChat)
    assert (model.base_url, model.model, model.api_key_env) == ("http://x/v1", "m", "OPENAI_API_KEY")  # nothing fetched yet


def test_the_llamacpp_backend_is_allowed(tmp_path: Path) -> None:
    config = {"_target_": "hum.llm.llamacpp.LlamaCppChat", "path": str(tmp_path / "missing.gguf")}
    check_model(config)
    with pytest.raises(FileNotFoundError, match=re.escape("missing.gguf")):  # the class itself was reached: no weights to load
        build_model(config)


def test_a_test_double_needs_the_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    config = {"_target_": "fakes.replay.HashChat"}
    with pytest.raises(ModelConfigError, match=f"model._target_: 'fakes.replay.HashChat'.*{ALLOW_ENV}"):
        LazyChat(config)
    monkeypatch.setenv(ALLOW_ENV, "conftest., fakes.")
    assert LazyChat(config).fingerprint
    monkeypatch.setenv(ALLOW_ENV, "fakes.chat.")  # a prefix allows that module only
    with pytest.raises(ModelConfigError):
        build_model(config)
