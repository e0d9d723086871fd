"""Local GGUF models through llama-cpp-python: the default, offline backend."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from hum.cores import llm_threads
from hum.llm.base import ChatRequest
from hum.llm.batching import UBATCH, Batcher
from hum.llm.completion import Completion
from hum.llm.embedded import gguf_fingerprint, model_file


class LlamaCppChat:
    """A GGUF file run in-process; `path=None` means the embedded SmolLM2.

    Its fingerprint is the file's content hash alone: the same bytes at another path (another machine, folder or
    name) are the same model, and keep their recorded replies.

    Up to `concurrency` calls, from any threads, are decoded together (`hum.llm.batching`); each reply is the one
    llama-cpp-python's `create_chat_completion` gives that call alone, so concurrency only changes speed. `n_ctx` is
    the context of one call (prompt and reply); the cache holds `n_ctx * concurrency` tokens. `n_threads` threads
    decode batches (None: every core `hum.cores` grants one model process).
    """

    def __init__(self, path: str | None = None, n_ctx: int = 2048, n_threads: int | None = None, concurrency: int = 8) -> None:
        from llama_cpp import Llama  # noqa: PLC0415 - heavy import, only when a model is really used

        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"model.concurrency: calls decoded together, an integer >= 1; got {concurrency!r}")
        self.path = model_file(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"model file not found: {self.path}")
        self.n_ctx, self.concurrency = n_ctx, concurrency
        # This context only tokenizes and formats; the Batcher's context decodes.
        self._llm = Llama(model_path=str(self.path), n_ctx=UBATCH, n_batch=UBATCH, n_threads=1, seed=0, verbose=False)
        threads = n_threads if n_threads is not None else llm_threads(1)
        self._batcher = Batcher(self._llm, width=concurrency, n_ctx=n_ctx, threads=threads)
        self._prepare = threading.Lock()  # the chat handler and tokenizer are not meant for several threads

    @property
    def fingerprint(self) -> str:
        return gguf_fingerprint(self.path)

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        return self.chat_batch([ChatRequest(messages, seed, temperature, max_tokens)])[0]

    def chat_batch(self, requests: Sequence[ChatRequest]) -> list[str]:
        """Every request decoded alongside whatever else is in flight; replies in request order."""
        with self._prepare:
            completions = [Completion.of(self._llm, r, n_ctx=self.n_ctx) for r in requests]
        futures = [self._batcher.submit(c) for c in completions]
        return [future.result() for future in futures]
