"""The one call every backend offers, so stages never care where text comes from."""

from __future__ import annotations

from typing import Protocol


class ChatModel(Protocol):
    """A chat model: messages in, text out; `seed` makes each call reproducible on its own."""

    @property
    def fingerprint(self) -> str:
        """Identifies the weights, never where they lie, for provenance and in every recorded reply's key.

        A GGUF file's sha256; for a server, the configured name plus what its `/models` says it serves.
        """
        ...

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        """Return the assistant reply to `messages`."""
        ...
