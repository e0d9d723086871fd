"""A slow, deterministic stand-in chat model, to kill an LLM stage mid-way in tests (never used by the pipeline)."""

from __future__ import annotations

import time
from pathlib import Path


class SlowEcho:
    """Replies from the seed alone, after a delay; logs every call to `log` so tests can count them."""

    def __init__(self, delay: float, log: str) -> None:
        self.delay, self.log = delay, Path(log)

    @property
    def fingerprint(self) -> str:
        return "fake:slow-echo"

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        time.sleep(self.delay)
        with self.log.open("a") as fh:
            fh.write(f"{seed}\n")
        return f"Find every item of the kinds {{labels}} in the text, variant {seed % 97}."
