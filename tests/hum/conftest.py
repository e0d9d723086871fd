"""Shared fixtures: the real data samples and small helpers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from hum.io import read_jsonl
from hum.normalise import normalise

DATA = Path("/work/shared/data")

CFG = {
    "ner": {"name": "wnut17", "task": "ner", "lang": "en"},
    "re": {"name": "semeval", "task": "re", "lang": "en", "no_relation": ["Other"]},
    "fewrel": {"name": "fewrel", "task": "re", "lang": "en"},
    "mrc": {"name": "xquad_en", "task": "mrc", "lang": "en"},
    "cls": {"name": "banking77", "task": "cls", "lang": "en"},
}
FILES = {
    "ner": "ner/wnut17_dev.jsonl",
    "re": "re/semeval2010_task8_test.jsonl",
    "fewrel": "re/fewrel_val_wiki.jsonl",
    "mrc": "mrc/xquad_en_squad11dev_subset.jsonl",
    "cls": "cls/banking77_test.jsonl",
}


def normalised(kind: str, n: int = 200) -> list[dict]:
    """The first `n` records of a real sample, normalised for its task."""
    rows = itertools.islice(read_jsonl(DATA / FILES[kind]), n)
    return [normalise(row, CFG[kind], i) for i, row in enumerate(rows)]


@pytest.fixture(scope="session")
def records() -> dict[str, list[dict]]:
    return {kind: normalised(kind) for kind in FILES}


class FakeChat:
    """A scripted ChatModel: replies in order, and remembers every call."""

    def __init__(self, replies: list[str], fingerprint: str = "fake:1") -> None:
        self.replies, self._fingerprint, self.calls = list(replies), fingerprint, []

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def chat(self, messages, *, seed, temperature, max_tokens) -> str:
        self.calls.append({"messages": messages, "seed": seed, "temperature": temperature, "max_tokens": max_tokens})
        return self.replies[(len(self.calls) - 1) % len(self.replies)]
