"""One chat call as llama-cpp-python's `create_chat_completion` makes it, split so that many can be decoded at once.

A batched engine must give each call the reply the library gives it alone. Two things decide a reply besides the
logits: the prompt, sampler and stop strings the library derives from the messages (its chat handler, from the
GGUF's template), and the rules by which it turns sampled tokens into text. The first is taken from the library
itself (`Completion.of`); the second, `Reply`, follows its rules: end-of-generation tokens end a reply unseen, a stop
string cuts it at its first listed match, `max_tokens` caps it, and a token ending in an unfinished UTF-8 character
postpones both checks to the next token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llama_cpp import Llama

    from hum.llm.base import ChatRequest

SAMPLING = (  # the library's sampler settings, as its chat handler passes them on
    *("top_k", "top_p", "min_p", "typical_p", "tfs_z"),
    *("repeat_penalty", "frequency_penalty", "presence_penalty", "mirostat_mode", "mirostat_tau", "mirostat_eta"),
)
UTF8_LEADS = ((2, 0xC0), (3, 0xE0), (4, 0xF0))  # (length of a character, bits its first byte has set)


class _Capture:
    """Stands in for the `Llama` a chat handler is given: everything is the real one but the completion, which it keeps."""

    def __init__(self, llm: Llama) -> None:
        self.llm, self.kwargs = llm, dict[str, Any]()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.llm, name)

    def create_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.kwargs = kwargs
        choice = {"text": "", "index": 0, "logprobs": None, "finish_reason": "stop"}
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        return {"id": "", "object": "text_completion", "created": 0, "model": "", "choices": [choice], "usage": usage}


@dataclass(frozen=True)
class Completion:
    """A chat call as the library would run it: prompt tokens, sampler settings, stop strings and token budget."""

    prompt: list[int]
    sampling: dict[str, Any]
    stop: list[bytes]
    max_tokens: int
    seed: int

    @classmethod
    def of(cls, llm: Llama, request: ChatRequest, *, n_ctx: int) -> Completion:
        """What `llm.create_chat_completion(...)` would decode for this request, in a context of `n_ctx` tokens."""
        from llama_cpp import Llama  # noqa: PLC0415 - heavy import, only when a model is really used

        capture, r = _Capture(llm), request
        call = {"seed": r.seed, "temperature": r.temperature, "max_tokens": r.max_tokens}
        Llama.create_chat_completion(capture, messages=r.messages, **call)  # type: ignore[arg-type]
        kwargs = capture.kwargs
        prompt = list(kwargs["prompt"])
        if len(prompt) >= n_ctx:
            raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of {n_ctx}")
        budget = kwargs["max_tokens"]
        budget = n_ctx - len(prompt) if budget is None or budget <= 0 or budget + len(prompt) >= n_ctx else budget
        stop = kwargs.get("stop") or []
        sampling = {k: kwargs[k] for k in SAMPLING if kwargs.get(k) is not None} | {"temp": kwargs["temperature"]}
        stops = [s.encode("utf-8") for s in ([stop] if isinstance(stop, str) else stop)]
        return cls(prompt, sampling, stops, int(budget), r.seed)


@dataclass
class Reply:
    """The text of one call, fed token by token; `done` once the library would have stopped."""

    completion: Completion
    llm: Llama
    tokens: list[int] = field(default_factory=list)
    text: bytes = b""
    done: bool = False
    _pending_bytes: int = 0

    def feed(self, token: int) -> bool:
        """Take one sampled token; True when the reply is complete."""
        from llama_cpp import llama_vocab_is_eog  # noqa: PLC0415

        if llama_vocab_is_eog(self.llm._model.vocab, token):  # noqa: SLF001 - the vocabulary the library checks
            self.text, self.done = self._detokenize(), True
            return True
        self.tokens.append(token)
        text = self._detokenize()
        for back, byte in enumerate(text[-3:]):
            room = 3 - back  # bytes from this one to the end, itself included
            for length, lead in UTF8_LEADS:
                if length > room and byte & lead == lead:
                    self._pending_bytes = length - room
        if self._pending_bytes > 0:
            self._pending_bytes -= 1
            return False
        hits = [s for s in self.completion.stop if s in text]
        if hits:
            self.text, self.done = text[: text.index(hits[0])], True
        elif len(self.tokens) >= self.completion.max_tokens:
            self.text, self.done = text, True
        return self.done

    def _detokenize(self) -> bytes:
        return bytes(self.llm.detokenize(self.tokens, prev_tokens=self.completion.prompt))

    def result(self) -> str:
        """The reply as `create_chat_completion` returns its content."""
        return self.text.decode("utf-8", errors="ignore")
