"""Requests answered by a whole sentence of the text: the one that mentions an entity, the one that answers a question."""

from __future__ import annotations

import random
import re

from hum.io import Record
from hum.requests.base import Ask, Kind, once
from hum.tasks.mrc import sentence_of

ABBREVIATION = re.compile(  # a stop after these may be no sentence end ("U.S. Army", "Dr. Smith", "( i.e. the ...")
    r"(?:\b[^\W\d_]\.|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Mt|Jr|Sr|Inc|Ltd|Co|Corp|No|vs|etc|Gen|Gov|Sen|Rep|Jan|Feb|Aug|Sept?|Oct|Nov|Dec)\.)$",
    re.IGNORECASE,
)
PAIRS = (("(", ")"), ("[", "]"), ("“", "”"), ("（", "）"), ("《", "》"))


def sentence(text: str, start: int, end: int) -> str | None:
    """The sentence holding [start, end) when it is a sound part of the text: not the whole text, and cut cleanly.

    The splitter (`sentence_of`, as the `mrc:sentence` rule uses) stops at any stop before an upper-case letter;
    a cut after an abbreviation or inside brackets would make a fragment the answer, so such sentences are skipped.
    """
    found = sentence_of(text, start, end)
    at = text.find(found, max(0, end - len(found)))
    before = text[:at].rstrip()
    cut = ABBREVIATION.search(found) or ABBREVIATION.search(before) or any(found.count(a) != found.count(b) for a, b in PAIRS)
    return None if cut or found == text.strip() or at < 0 else found


def named(record: Record) -> list[Record]:
    """Every gold entity span of a NER or RE record (relation ends included), in text order."""
    spans = list(record["entities"]) + [r[end] for r in record.get("relations", []) for end in ("head", "tail")]
    return sorted(spans, key=lambda s: (s["start"], -s["end"]))


class SentenceOf(Kind):
    """The sentence that mentions an entity occurring once in the text."""

    name = "sentence_of"
    tasks = frozenset({"ner", "re"})
    slots = ("mention",)

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        text = record["text"]
        found = {s["text"]: sentence(text, s["start"], s["end"]) for s in named(record) if once(text, s["text"])}
        mentions = sorted(m for m, s in found.items() if s)
        if not mentions:
            return None
        mention = rng.choice(mentions)
        return self.made(str(found[mention]), mention=mention)


class AnswerSentence(Kind):
    """The sentence that answers an answerable question, when every gold answer lies in that one sentence."""

    name = "answer_sentence"
    tasks = frozenset({"mrc"})
    slots = ("question",)

    def ask(self, record: Record, labelset: list[str], rng: random.Random, lang: str) -> Ask | None:
        found = {sentence(record["text"], a["start"], a["end"]) for a in record["answers"]}
        if len(found) != 1 or None in found:
            return None
        return self.made(str(found.pop()), question=record["question"])
