"""The parts of a record that duplicates are defined on, normalised, and the small hashes kept of them.

A record is three parts: the instruction (the user message with the input text cut out, `meta.text_span`),
the input text and the answer. Keys are 63-bit ints, so millions of them fit in numpy int64 arrays.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from hum.io import Record
from hum.records import message

_NON_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def normalised(text: str) -> str:
    """Case-, punctuation- and spacing-blind form of a text (digits count: 1990 is not 1991)."""
    return _NON_WORD.sub(" ", text.casefold()).strip()  # whitespace is \W too: no runs of spaces are left


def is_cjk(text: str) -> bool:
    """Whether a text is mostly CJK, written without spaces between words (so it is shingled by characters)."""
    chars = text.replace(" ", "")
    return bool(chars) and 2 * len(_CJK.findall(chars)) >= len(chars)


def digest(*parts: str) -> int:
    """A stable 63-bit hash of the parts (int64-safe); unlike `hash`, it does not change between processes."""
    raw = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(raw, "little") >> 1


@dataclass(frozen=True, slots=True)
class Parts:
    """The normalised instruction, input and answer of a record."""

    instruction: str
    input: str
    answer: str

    @classmethod
    def of(cls, record: Record) -> Parts:
        """Split a record; a newline marks where the input sat, so two layouts of one request stay apart."""
        user = message(record, "user")
        start, end = record["meta"].get("text_span") or (0, 0)
        around = normalised(user[:start]) + "\n" + normalised(user[end:])
        return cls(around, normalised(user[start:end]), normalised(message(record, "assistant")))

    @property
    def pair(self) -> str:
        """What near-duplicates compare: instruction and answer, the (possibly long, shared) input left out."""
        return self.instruction + "\n" + self.answer

    @property
    def indexed(self) -> str:
        """The text whose near copies the LSH index finds: the input, or for a request without one its instruction."""
        return self.input or self.instruction

    def group(self) -> int:
        """The key of the indexed text: records over one input (or, without one, one instruction) meet for fuzzy checks.

        Requests without input are not grouped by their opening words: one typo there would keep two copies apart.
        """
        return digest("input" if self.input else "request", self.indexed.replace(" ", ""))


@dataclass(frozen=True, slots=True)
class Keys:
    """The hashes a first pass keeps per record: the exact copy, the user message, and the input group."""

    exact: int
    user: int
    group: int

    @classmethod
    def of(cls, parts: Parts) -> Keys:
        """Space-blind too: "1898 年" and "1898年" are one answer (Chinese is written without spaces)."""
        instruction, text, answer = (t.replace(" ", "") for t in (parts.instruction, parts.input, parts.answer))
        return cls(digest(instruction, text, answer), digest(instruction, text), parts.group())
