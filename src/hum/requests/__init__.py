"""Instruction-generalist requests grounded in gold: derived from a record's annotation, answered by computation.

Unlike LLM-written requests (`hum.tasks.generalist`), nothing here needs trust in a model: each kind asks
something its gold settles and computes the answer. A new kind is one class in a module here plus one entry
below and a phrasing file `data/templates/requests/<kind>.yaml`.
"""

from __future__ import annotations

import random

from hum.draws import Draws
from hum.io import Record
from hum.phrasing import Phrase, Phrasings
from hum.requests.base import Ask, Kind
from hum.requests.counting import About, Count, Exists
from hum.requests.listing import ListByType, RoleOf, TriggerOf
from hum.requests.mentions import TypeOf, WhichFirst
from hum.requests.relations import HeadOf, RelationBetween, TailOf
from hum.requests.sentences import AnswerSentence, SentenceOf

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Count(), Exists(), About(), ListByType(), RoleOf(), TriggerOf(), RelationBetween(), TailOf(), HeadOf(),
        SentenceOf(), AnswerSentence(), WhichFirst(), TypeOf(),
    )
}  # fmt: skip


def request_text(ask: Ask, phrase: Phrase) -> str:
    """The request as the user states it: the phrasing with the ask's slots filled in."""
    return phrase.text.format(**ask.slots)


def gives_away(ask: Ask, request: str) -> bool:
    """Whether a span answer (any line of it) appears in its own request, which would make the request moot."""
    return KINDS[ask.kind].spans and any(line.casefold() in request.casefold() for line in ask.answer.splitlines())


def gold_request(
    record: Record, labelset: list[str], rng: random.Random, lang: str, phrasings: Phrasings
) -> tuple[Ask, Phrase] | None:
    """A request over `record` and its phrasing in `lang`: the first kind in an rng-drawn order that gives one.

    Kinds that apply to the record's task are tried in turn; a kind's request that would contain its own answer
    is passed over. None when no kind fits (an unsupported task, or gold too thin or too ambiguous to ask about).
    The order is keyed by kind name and each kind draws from its own stream, so a new kind changes only the
    requests it makes.
    """
    draws = Draws.from_rng(rng)
    for kind in draws.order("kind", (k for k in KINDS.values() if record["task"] in k.tasks), key=lambda k: k.name):
        ask = kind.ask(record, labelset, draws.rng(f"ask:{kind.name}"), lang)
        if ask is None:
            continue
        phrase = phrasings.pick(draws.rng(f"phrase:request:{kind.name}"), "request", kind.name, lang)
        if not gives_away(ask, request_text(ask, phrase)):
            return ask, phrase
    return None


__all__ = ["KINDS", "Ask", "Kind", "gives_away", "gold_request", "request_text"]
