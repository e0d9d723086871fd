"""Where an LLM stage's model runs, by the `runner` config: in the stage's process, or on Ray actors.

Like the runner itself, the host is no stage parameter: a reply is the same wherever its model runs, so the recorded
replies, checkpoints and outputs are too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hum.llm.replies import InProcess, ModelHost
from hum.runners import RUNNERS


def host_of(config: Mapping[str, Any] | None) -> ModelHost:
    """The model host a stage's `runner` params name: `llm_actors` actors of `llm_cpus` CPUs under `ray`, else here."""
    kind = "local" if config is None else config.get("kind")
    if kind == "local":
        return InProcess()
    if kind == "ray" and config is not None:
        from hum.runners.ray_chat import RayHost  # noqa: PLC0415 - ray is an optional extra, imported only when asked for

        return RayHost(config.get("address"), config.get("llm_actors", 1), config.get("llm_cpus"), config.get("runtime_env"))
    raise ValueError(f"runner.kind: {kind!r} is not one of {list(RUNNERS)}")
