"""Conventions that gold answers always follow; stating them makes them learnable."""

from __future__ import annotations

from hum.rules.base import SPAN_TASKS, Rule


class Verbatim(Rule):
    """Spans are copied from the text as they are."""

    id = "span:verbatim"
    family = "verbatim"
    rank = 90
    tasks = SPAN_TASKS


class AnswerOnly(Rule):
    """Nothing but the answer."""

    id = "answer:only"
    family = "answer_only"
    rank = 100
