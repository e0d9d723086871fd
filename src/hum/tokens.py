"""Text lengths in tokens of the configured model: the limit that matters when the corpus trains or prompts it.

A llama.cpp model (`model._target_` is `LlamaCppChat`, `path: null` meaning the embedded SmolLM2) counts with
its own GGUF vocabulary, loaded alone (`vocab_only`: no weights, no inference). A server model (OpenAI-compatible)
exposes no tokenizer here, so its lengths are an estimate, and every report says `approximate`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from hum.llm.embedded import embedded_model_path, file_sha256

LLAMACPP_TARGET = "hum.llm.llamacpp.LlamaCppChat"
# CJK ideographs, kana and hangul: BPE vocabularies give each about one token or more, so each counts one.
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
CHARS_PER_TOKEN = 4  # the usual figure for English text in BPE vocabularies


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
        from llama_cpp import Llama  # noqa: PLC0415 - heavy import, only when a GGUF vocabulary is really used

        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        self.path = path
        self.fingerprint = f"sha256:{file_sha256(path)}"  # as LlamaCppChat fingerprints the model
        self._llama = Llama(model_path=str(path), vocab_only=True, verbose=False)

    def count(self, texts: list[str]) -> list[int]:
        return [len(self._llama.tokenize(text.encode(), add_bos=False, special=False)) for text in texts]


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
