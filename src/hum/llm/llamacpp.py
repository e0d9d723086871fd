"""Local GGUF models through llama-cpp-python: the default, offline backend."""

from __future__ import annotations

from typing import Any

from hum.llm.embedded import gguf_fingerprint, model_file


class LlamaCppChat:
    """A GGUF file run in-process; `path=None` means the embedded SmolLM2.

    Its fingerprint is the file's content hash alone: the same bytes at another path (another machine, folder or
    name) are the same model, and keep their recorded replies.
    """

    def __init__(self, path: str | None = None, n_ctx: int = 2048, n_threads: int = 2, n_batch: int = 256) -> None:
        from llama_cpp import Llama  # noqa: PLC0415 - heavy import, only when a model is really used

        self.path = model_file(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"model file not found: {self.path}")
        self._llm = Llama(model_path=str(self.path), n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch, seed=0, verbose=False)

    @property
    def fingerprint(self) -> str:
        return gguf_fingerprint(self.path)

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        self._llm.reset()  # type: ignore[no-untyped-call] # no KV-cache reuse across calls: a reply depends on its own prompt and seed only
        out: Any = self._llm.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
        )
        return str(out["choices"][0]["message"]["content"] or "")
