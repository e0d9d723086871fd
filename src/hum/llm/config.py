"""Turn `model:` of params.yaml into a chat model, instantiating only hum's own backends.

A Hydra `_target_` can name any callable (`builtins.open`, `os.system`), so a config that is merely edited or
pulled could write files or run commands. Only the allow-listed backends below are built; test doubles are
accepted only when `HUM_ALLOW_TEST_MODELS` names their module prefix. Secrets never live in the config: it is
recorded in params.yaml and in every manifest, so an API key is read from the environment by the backend itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from hydra.utils import get_class

from hum.llm.base import ChatModel

BACKENDS = ("hum.llm.llamacpp.LlamaCppChat", "hum.llm.openai.OpenAIChat")
ALLOW_ENV = "HUM_ALLOW_TEST_MODELS"  # comma-separated module prefixes of test doubles, e.g. "fakes.,conftest."
SECRET_KEYS = ("api_key",)


class ModelConfigError(ValueError):
    """A `model:` config that hum refuses to build; raised before any import or call it names."""


def allowed_targets() -> list[str]:
    """The backends, then the test-double prefixes that the environment opts into."""
    prefixes = [p.strip() for p in os.environ.get(ALLOW_ENV, "").split(",") if p.strip()]
    return [*BACKENDS, *(f"{p}*" for p in prefixes)]


def _allowed(target: str) -> bool:
    if target in BACKENDS:
        return True
    prefixes = [p.strip() for p in os.environ.get(ALLOW_ENV, "").split(",") if p.strip()]
    return any(target.startswith(p) for p in prefixes)


def _nested_target(value: Any, where: str) -> str | None:
    """The dotted key of the first `_target_` below the top level: Hydra would instantiate it too."""
    if isinstance(value, Mapping):
        if "_target_" in value:
            return f"{where}._target_"
        items: list[tuple[str, Any]] = [(f"{where}.{k}", v) for k, v in value.items()]
    elif isinstance(value, list | tuple):
        items = [(f"{where}[{i}]", v) for i, v in enumerate(value)]
    else:
        return None
    return next((found for key, v in items if (found := _nested_target(v, key)) is not None), None)


def check_model(config: Mapping[str, Any]) -> None:
    """Refuse a config naming a target outside the allow-list, a nested target or a literal secret."""
    target = config.get("_target_")
    if not isinstance(target, str) or not _allowed(target):
        allowed = ", ".join(allowed_targets())
        msg = f"model._target_: {target!r} is not an allowed model backend; allowed: {allowed}"
        msg += f" (test doubles: set {ALLOW_ENV} to their module prefix)"
        raise ModelConfigError(msg)
    for key, value in config.items():
        if key == "_target_":
            continue
        if key.startswith("_"):  # _args_, _partial_, _recursive_...: Hydra machinery a model config has no use for
            raise ModelConfigError(f"model.{key}: not supported; a model config is `_target_` and plain keyword values")
        if nested := _nested_target(value, f"model.{key}"):
            raise ModelConfigError(f"{nested}: nested targets are refused; give plain values only")
    for key in SECRET_KEYS:
        if config.get(key) is not None:  # the value is never echoed: it is the secret
            msg = f"model.{key}: a literal key would be recorded in params.yaml and every manifest; remove it and "
            msg += "set the environment variable named by model.api_key_env (default OPENAI_API_KEY) instead"
            raise ModelConfigError(msg)


def build_model(config: Mapping[str, Any]) -> ChatModel:
    """The configured chat model, after `check_model`: the class is imported and called with the plain values only."""
    check_model(config)
    kwargs = {k: v for k, v in config.items() if k != "_target_" and not (k in SECRET_KEYS and v is None)}
    model: ChatModel = get_class(str(config["_target_"]))(**kwargs)
    return model
