"""Text lengths in tokens of the configured model: the limit that matters when the corpus trains or prompts it.

A llama.cpp model (`model._target_` is `LlamaCppChat`, `path: null` meaning the embedded SmolLM2) counts with
its own GGUF vocabulary, loaded alone (`vocab_only`: no weights, no inference). A server model (OpenAI-compatible)
exposes no tokenizer here, so its lengths are an estimate, and every report says `approximate`.

llama.cpp's BPE first cuts a text into pre-tokens with a regex chosen by the GGUF's `tokenizer.ggml.pre`, then
encodes each pre-token alone, so a text's count is the sum of its pre-tokens' counts. For a vocabulary whose cut is
reproduced here exactly (SmolLM2's `smollm`, on English and Chinese text), each distinct pre-token is counted once by
llama.cpp and remembered: corpus texts share most of their words, so a million records cost little more than the
regex. Other texts go to llama.cpp whole. The counts are llama.cpp's either way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from hum.llm.embedded import embedded_model_path, file_sha256
from hum.memo import Remembered

LLAMACPP_TARGET = "hum.llm.llamacpp.LlamaCppChat"
# CJK ideographs, kana and hangul: BPE vocabularies give each about one token or more, so each counts one.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
CHARS_PER_TOKEN = 4  # the usual figure for English text in BPE vocabularies
# Characters whose class in llama.cpp's Unicode table (letter, or punctuation/symbol) is known here, each checked
# against the table of the pinned llama-cpp-python: ASCII, Latin-1 and Latin Extended-A/B letters, CJK ideographs, and
# common general, CJK and full-width punctuation, arrows and maths signs. Left out: numbers but ASCII digits, combining
# marks, whitespace but tab, line feed, return and space, and every other script.
LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u3400-\u4dbf\u4e00-\u9fff"
PUNCTUATION = (
    "!-/:-@\\[-`{-~\u00b7\u00d7\u00f7\u2010-\u2027\u2030-\u205e\u2190-\u22ff\u3001-\u3004\u3008-\u3020"
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
)
# llama.cpp's `smollm` pre-tokenizer on those characters: each digit alone, then GPT-2's cut: its contractions (lower
# case only), a word or a run of punctuation with the space before it, and a run of whitespace that leaves its last
# character to what follows unless a digit or the end of the text follows
SMOLLM = re.compile(
    f"[0-9]|'s|'t|'re|'ve|'m|'ll|'d| ?[{LETTERS}]++| ?[{PUNCTUATION}]++|[\\t\\n\\r ]+(?![{LETTERS}{PUNCTUATION}])|[\\t\\n\\r ]++"
)
SPLITS = {("gpt2", "smollm"): SMOLLM}  # (tokenizer.ggml.model, tokenizer.ggml.pre) -> its cut, reproduced
SPLITTABLE = re.compile(f"[\\t\\n\\r 0-9{LETTERS}{PUNCTUATION}]*")  # the texts whose cut is reproduced
PIECES_KEPT = 1 << 17  # pre-tokens whose count a process remembers (10-20 MB): memory flat in corpus size


class Tokenizer(Protocol):
    """Counts tokens; `kind` and `fingerprint` say which tokenizer made the counts, for metrics and manifests."""

    kind: str
    fingerprint: str

    def count(self, texts: list[str]) -> list[int]:
        """Token count of each text (no BOS, special tokens read as plain text)."""
        ...


class GgufTokenizer:
    """The exact tokenizer of a GGUF model: its vocabulary, without the weights."""

    kind = "gguf"

    def __init__(self, path: Path) -> None:
        import llama_cpp  # noqa: PLC0415 - heavy import, only when a GGUF vocabulary is really used

        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        self.path = path
        self.fingerprint = f"sha256:{file_sha256(path)}"  # as LlamaCppChat fingerprints the model
        self._llama = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)  # owns what `_vocab` points to
        self._vocab = llama_cpp.llama_model_get_vocab(self._llama.model)
        self._tokenize: Callable[..., int] = llama_cpp.llama_tokenize
        self._no_room = (llama_cpp.llama_token * 0)()
        self._split = split_of(self._llama.metadata, has_user_tokens(self._vocab))
        self._pieces = Remembered(self._count_whole, PIECES_KEPT)

    def __reduce__(self) -> tuple[type[GgufTokenizer], tuple[Path]]:
        """Pickled as its path (a Ray actor loads the vocabulary again): llama.cpp's handles do not travel."""
        return GgufTokenizer, (self.path,)

    def count(self, texts: list[str]) -> list[int]:
        return [self._count(text) for text in texts]

    def _count(self, text: str) -> int:
        if self._split is None or not SPLITTABLE.fullmatch(text):
            return self._count_whole(text)
        return sum(map(self._pieces.__getitem__, self._split.findall(text)))

    def _count_whole(self, text: str) -> int:
        """llama.cpp's count, given no room for the tokens: it then returns minus their number, tokenizing once."""
        data = text.encode()
        return -self._tokenize(self._vocab, data, len(data), self._no_room, 0, False, False)  # noqa: FBT003 - positional-only C call


def split_of(metadata: Mapping[str, str], user_tokens: bool) -> re.Pattern[str] | None:
    """The reproduced pre-tokenizer cut of a vocabulary, if any.

    None for a vocabulary with user-defined tokens: llama.cpp cuts those out of any text before its regex runs.
    """
    return None if user_tokens else SPLITS.get((metadata.get("tokenizer.ggml.model", ""), metadata.get("tokenizer.ggml.pre", "")))


def has_user_tokens(vocab: Any) -> bool:
    """Whether the vocabulary has user-defined tokens (its control tokens are left alone in plain text)."""
    import llama_cpp  # noqa: PLC0415 - only with a GGUF vocabulary

    user = llama_cpp.LLAMA_TOKEN_ATTR_USER_DEFINED
    return any(llama_cpp.llama_vocab_get_attr(vocab, token) & user for token in range(llama_cpp.llama_vocab_n_tokens(vocab)))


class ApproximateTokenizer:
    """An estimate for models whose tokenizer is not at hand: one token per CJK character plus one per 4 other characters.

    Within a few tens of percent of real BPE counts for English; SmolLM2-like vocabularies spend 2-3 tokens per
    Chinese character, so limits for Chinese-heavy corpora on such models need the real tokenizer.
    """

    kind = "approximate"
    fingerprint = f"approximate:cjk+chars/{CHARS_PER_TOKEN}"

    def count(self, texts: list[str]) -> list[int]:
        counts = []
        for text in texts:
            cjk = len(CJK.findall(text))
            counts.append(cjk + math.ceil((len(text) - cjk) / CHARS_PER_TOKEN))
        return counts


def tokenizer(model_config: Mapping[str, Any]) -> Tokenizer:
    """The tokenizer of the configured `model`: its GGUF vocabulary for llama.cpp, else the approximation."""
    if model_config.get("_target_") == LLAMACPP_TARGET:
        path = model_config.get("path")
        return GgufTokenizer(Path(path) if path else embedded_model_path())
    return ApproximateTokenizer()
