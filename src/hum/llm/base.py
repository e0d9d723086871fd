"""The call every backend offers, so stages never care where text comes from, and batches of such calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, cast


@dataclass(frozen=True)
class ChatRequest:
    """One chat call: what a reply depends on besides the model, so a batch of them can be answered at once."""

    messages: list[dict[str, str]]
    seed: int
    temperature: float
    max_tokens: int


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


def chat_all(model: ChatModel, requests: Sequence[ChatRequest]) -> list[str]:
    """The replies to `requests` in their order: at once through the model's `chat_batch` when it has one, else one by one.

    A `chat_batch` returns, for each request, the reply `chat` gives it alone: batching changes speed, never replies.
    """
    batch = getattr(model, "chat_batch", None)
    if callable(batch):
        return cast("list[str]", batch(requests))
    return [model.chat(r.messages, seed=r.seed, temperature=r.temperature, max_tokens=r.max_tokens) for r in requests]


def concurrency_of(model: object) -> int:
    """How many calls a model (or a model's config) serves at once, 1 when it does not say: callers keep that many going."""
    value = model.get("concurrency", 1) if isinstance(model, Mapping) else getattr(model, "concurrency", 1)
    return counted(value) or 1


def counted(value: object) -> int | None:
    """`value` when it is a whole number of at least one (a count of calls, threads, ...), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None
