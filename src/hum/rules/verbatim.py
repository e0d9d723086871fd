"""Conventions that gold answers always follow; stating them makes them learnable."""

from __future__ import annotations

from hum.rules.base import SPAN_TASKS, Rule


class Verbatim(Rule):
    """Spans are copied from the text as they are."""

    id = "span:verbatim"
    family = "verbatim"
    tasks = SPAN_TASKS
    text = {"en": "Copy every span exactly as it is written in the text.", "zh": "所有片段都必须与原文完全一致地照抄。"}


class AnswerOnly(Rule):
    """Nothing but the answer."""

    id = "answer:only"
    family = "answer_only"
    text = {"en": "Give only the answer, without any explanation.", "zh": "只给出答案，不要任何解释。"}
