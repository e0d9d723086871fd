"""LLM calls: hum's reset-per-call vs reusing the KV cache of the previous prompt, in one process, same prompts and seeds.

Run: `python benchmarks/bench_llm.py [texts]` (the embedded model; about a minute for 10 texts on 2 cores). The prompts
are the generalist stage's, two attempts per seed text as the stage makes them, so consecutive prompts share long
prefixes. It prints both timings, their ratio and how many replies are the same: prefix reuse is faster, but a reply
then depends on what the cache held (the prompt's tail is evaluated in another batch, and float sums differ), so hum
resets before every call and keeps a reply a function of its own prompt and seed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hum.io import read_jsonl
from hum.llm.llamacpp import LlamaCppChat
from hum.tasks.generalist import prompt_messages

SEEDS = Path(__file__).resolve().parents[1] / "data/prepared/wnut17.train.jsonl"  # built by `dvc repro prepare`


def replies(chat: LlamaCppChat, prompts: list[list[dict[str, str]]], *, reset: bool) -> tuple[list[str], float]:
    """Every prompt's reply and the seconds taken; `reset` clears the KV cache before each call, as hum does."""
    llm, out, start = chat._llm, [], time.perf_counter()  # noqa: SLF001 - the benchmark drives llama.cpp as a naive loop would
    for i, messages in enumerate(prompts):
        if reset:
            llm.reset()  # type: ignore[no-untyped-call]
        reply = llm.create_chat_completion(messages=messages, temperature=0.7, max_tokens=48, seed=1000 + i)  # type: ignore[arg-type]
        out.append(str(reply["choices"][0]["message"]["content"]))  # type: ignore[index]
    return out, time.perf_counter() - start


def main() -> None:
    """Time both loops over the same prompts and compare their replies."""
    texts = [r["text"] for r in read_jsonl(SEEDS)][: int(sys.argv[1]) if len(sys.argv) > 1 else 10]
    prompts = [prompt_messages("span_question", "en", t) for t in texts for _ in range(2)]
    chat = LlamaCppChat()
    hum, hum_s = replies(chat, prompts, reset=True)
    cached, cached_s = replies(chat, prompts, reset=False)
    same = sum(a == b for a, b in zip(hum, cached, strict=True))
    print(f"{len(prompts)} calls: reset per call (hum) {hum_s:.1f}s, KV-cache prefix reuse {cached_s:.1f}s: "
          f"{hum_s / cached_s:.2f}x faster with reuse; same replies {same}/{len(prompts)}")  # fmt: skip


if __name__ == "__main__":
    main()
