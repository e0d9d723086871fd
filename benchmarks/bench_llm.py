"""LLM calls: hum's batching engine vs a naive loop over llama-cpp-python, same model, prompts and seeds, one process.

Run: `python benchmarks/bench_llm.py [calls] [concurrency]` (the embedded model; defaults 64 calls, concurrency 16,
a few minutes on 2 cores; run it on a quiet machine: llama.cpp threads that lose their core stall each other).

The prompts are the generalist stage's over distinct real tweets, two calls per text (its two kinds, as the stage
tries them): prompts of one kind share a system message and worked examples, and consecutive prompts differ in kind.
Three runs, each in generated tokens per second:

- naive: `create_chat_completion` in a loop with llama-cpp-python's defaults (its prefix cache on);
- alone: hum's reference for a reply, the same call with a fresh cache in a context of the engine's settings;
- hum: `LlamaCppChat.chat_batch`, all calls at once.

It prints hum's ratio to both, and how many replies equal the reference's: all of them, or batching changed a reply.
The naive loop's replies differ from both where its kernels (no flash attention, 512-token ubatches) round otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from hum.llm.base import ChatRequest
from hum.llm.batching import UBATCH
from hum.llm.embedded import embedded_model_path
from hum.llm.llamacpp import LlamaCppChat
from hum.tasks.generalist import prompt_messages

SEEDS = Path(__file__).resolve().parents[1] / "data/seeds/ner/wnut17/wnut17train.conll"  # real tweets, in git


def texts(n: int) -> list[str]:
    """The first `n` sentences of WNUT-17 with 8 to 40 tokens, as the generalist stage picks usable texts."""
    found, words = [], []
    for line in [*SEEDS.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            words.append(line.split("\t")[0])
            continue
        if 8 <= len(words) <= 40:
            found.append(" ".join(words))
        words = []
    return found[:n]


def calls(n: int) -> list[ChatRequest]:
    """`n` generalist calls, two kinds per text as the stage tries them, sampled as the stage samples."""
    kinds = ("span_question", "free_form")
    chosen = texts((n + 1) // 2)
    return [ChatRequest(prompt_messages(kinds[i % 2], "en", chosen[i // 2]), 1000 + i, 0.7, 64) for i in range(n)]


def loop(llm: Any, asked: list[ChatRequest], *, reset: bool) -> tuple[list[str], int, float]:
    """Replies, generated tokens and seconds of one `create_chat_completion` per call."""
    replies, tokens, start = [], 0, time.perf_counter()
    for r in asked:
        if reset:
            llm.reset()
        out = llm.create_chat_completion(messages=r.messages, seed=r.seed, temperature=r.temperature, max_tokens=r.max_tokens)
        replies.append(out["choices"][0]["message"]["content"] or "")
        tokens += out["usage"]["completion_tokens"]
    return replies, tokens, time.perf_counter() - start


def main() -> None:
    """Time the three runs over the same calls and compare their replies."""
    from llama_cpp import Llama  # noqa: PLC0415

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    width = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    asked, path = calls(n), str(embedded_model_path())
    naive = Llama(model_path=path, n_ctx=2048, n_threads=2, seed=0, verbose=False)
    naive_replies, naive_tokens, naive_s = loop(naive, asked, reset=False)
    del naive
    alone_llm = Llama(
        model_path=path,
        n_ctx=2048,
        n_batch=UBATCH,
        n_ubatch=UBATCH,
        n_threads=1,
        n_threads_batch=2,
        flash_attn=True,
        verbose=False,
    )
    alone, alone_tokens, alone_s = loop(alone_llm, asked, reset=True)
    del alone_llm
    chat = LlamaCppChat(n_ctx=2048, n_threads=2, concurrency=width)
    start = time.perf_counter()
    hum = chat.chat_batch(asked)
    hum_s, hum_tokens = time.perf_counter() - start, chat._batcher.generated  # noqa: SLF001 - the engine's own count
    rate = {"naive": naive_tokens / naive_s, "alone": alone_tokens / alone_s, "hum": hum_tokens / hum_s}
    print(f"{n} calls, concurrency {width}; generated tokens/s: " + ", ".join(f"{k} {v:.1f}" for k, v in rate.items()))
    print(f"hum vs naive loop: {rate['hum'] / rate['naive']:.2f}x; hum vs one call at a time: {rate['hum'] / rate['alone']:.2f}x")
    print(f"replies equal to the one-at-a-time reference: {sum(a == b for a, b in zip(hum, alone, strict=True))}/{n}; "
          f"naive loop's equal to it: {sum(a == b for a, b in zip(naive_replies, alone, strict=True))}/{n}")  # fmt: skip


if __name__ == "__main__":
    main()
