"""A deterministic stand-in chat model for replay tests; it can play "another machine" that must never be asked."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

LOG = "HUM_FAKE_CHAT_LOG"  # file that every build and call of the model is logged to
REFUSE = "HUM_FAKE_CHAT_REFUSE"  # when set, any call raises: the model of a machine that should replay everything
FINGERPRINT = "fake:hash-chat"


class HashChat:
    """Replies from a hash of the request; logs `build` and `call <seed>` lines to $HUM_FAKE_CHAT_LOG."""

    def __init__(self) -> None:
        self._note("build")

    @staticmethod
    def config_fingerprint() -> str:
        """Known from the config, like a GGUF file's hash: a fully replayed run never builds the model."""
        return FINGERPRINT

    @property
    def fingerprint(self) -> str:
        return FINGERPRINT

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        if os.environ.get(REFUSE):
            raise RuntimeError("this model must not be asked: every reply should be replayed")
        self._note(f"call {seed}")
        text = messages[-1]["content"].rsplit("\n", 1)[-1].split("：")[-1].split(": ", 1)[-1]
        tag = hashlib.sha256(f"{seed}:{temperature}:{max_tokens}:{text}".encode()).hexdigest()
        variants = (
            f"Please {text[:1].lower()}{text[1:]}",
            f"Question: What is mentioned about {text.split()[0] if text.split() else 'it'}?",
            f"Request: Summarise the text.\nAnswer: {text[:20]}",
            f"Variant {tag[:8]}: {text}",
        )
        return variants[int(tag, 16) % len(variants)]

    @staticmethod
    def _note(line: str) -> None:
        if log := os.environ.get(LOG):
            with Path(log).open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
