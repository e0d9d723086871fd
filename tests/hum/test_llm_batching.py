"""Batched decoding changes no reply: every call gets what llama-cpp-python's `create_chat_completion` gives it alone.

The reference is the library's own chat call, with a fresh cache per call, in a context of the batcher's settings
(flash attention, 32-token ubatches, one thread for single tokens): batching itself is what is under test, not the
kernels those settings choose. Replies are compared as strings, whole.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from hum.llm.base import ChatRequest
from hum.llm.batching import UBATCH
from hum.llm.embedded import embedded_model_path
from hum.llm.llamacpp import LlamaCppChat
from hum.paraphrase import prompt_for
from hum.tasks.generalist import prompt_messages

pytestmark = pytest.mark.slow

N_CTX = 2048


ZH = "北京大学创办于1898年，初名京师大学堂，是中国近代第一所国立综合性大学。"


def requests(records: dict[str, list[dict[str, Any]]]) -> list[ChatRequest]:
    """Mixed calls: generalist prompts sharing a long head, a paraphrase prompt, Chinese, greedy and sampled, short budgets."""
    messages = [prompt_messages("span_question", "en", r["text"]) for r in records["ner"][:3]]
    messages += [prompt_messages("free_form", "en", records["mrc"][0]["text"][:400])]
    messages += [[{"role": "user", "content": prompt_for("Find every person named in the text.", "en")}]]
    messages += [prompt_messages("free_form", "zh", ZH)]
    return [ChatRequest(m, 1000 + i, (0.0, 0.7, 0.9)[i % 3], (12, 24, 40)[i % 3]) for i, m in enumerate(messages)]


@pytest.fixture(scope="module")
def reference(records: dict[str, list[dict[str, Any]]]) -> list[str]:
    from llama_cpp import Llama  # noqa: PLC0415 - the library under comparison

    llm = Llama(
        model_path=str(embedded_model_path()),
        n_ctx=N_CTX,
        n_batch=UBATCH,
        n_ubatch=UBATCH,
        n_threads=1,
        n_threads_batch=2,
        flash_attn=True,
        seed=0,
        verbose=False,
    )
    replies = []
    for r in requests(records):
        llm.reset()  # type: ignore[no-untyped-call]
        call = {"seed": r.seed, "temperature": r.temperature, "max_tokens": r.max_tokens}
        out: Any = llm.create_chat_completion(messages=r.messages, **call)  # type: ignore[arg-type]
        replies.append(out["choices"][0]["message"]["content"] or "")
    return replies


@pytest.fixture(scope="module")
def chat() -> LlamaCppChat:
    return LlamaCppChat(n_ctx=N_CTX, n_threads=2, concurrency=4)


def test_a_batch_gets_the_replies_each_call_gets_alone(
    chat: LlamaCppChat, records: dict[str, list[dict[str, Any]]], reference: list[str]
) -> None:
    asked = requests(records)
    assert chat.chat_batch(asked) == reference
    assert len(set(reference)) > 1  # real, varied replies


def test_calls_from_threads_and_one_by_one_get_the_same_replies(
    chat: LlamaCppChat, records: dict[str, list[dict[str, Any]]], reference: list[str]
) -> None:
    asked = requests(records)
    seen: set[str] = set()

    def call(r: ChatRequest) -> str:
        seen.add(threading.current_thread().name)
        return chat.chat(r.messages, seed=r.seed, temperature=r.temperature, max_tokens=r.max_tokens)

    with ThreadPoolExecutor(3) as pool:
        assert list(pool.map(call, asked)) == reference
    assert len(seen) > 1
    assert [call(r) for r in reversed(asked)] == reference[::-1]  # alone, in another order, after other prefixes


def test_a_tight_cache_is_cleared_between_calls_and_changes_nothing(
    records: dict[str, list[dict[str, Any]]], reference: list[str]
) -> None:
    small = LlamaCppChat(n_ctx=N_CTX, n_threads=2, concurrency=1)  # room for one call at a time: cleared before each
    assert small.chat_batch(requests(records)) == reference


def test_a_prompt_longer_than_the_context_fails_that_call_only(chat: LlamaCppChat) -> None:
    long = ChatRequest([{"role": "user", "content": "word " * 3000}], 1, 0.0, 8)
    with pytest.raises(ValueError, match=r"exceed context window of 2048"):
        chat.chat_batch([long])
    assert chat.chat([{"role": "user", "content": "Say hi."}], seed=1, temperature=0.0, max_tokens=4)
