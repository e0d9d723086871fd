"""Empty-result forms: what to answer when nothing in the text matches."""

from __future__ import annotations

from hum.rules.base import Rule


class EmptyNone(Rule):
    """Answer the word None."""

    id = "empty:none"
    family = "empty"
    empty = "None"
    text = {"en": "If nothing is found, answer exactly: None", "zh": "如果没有找到任何结果，请只回答：None"}


class EmptyNA(Rule):
    """Answer N/A."""

    id = "empty:na"
    family = "empty"
    empty = "N/A"
    text = {"en": "If there is no answer, reply with N/A and nothing else.", "zh": "如果没有答案，请只回复 N/A。"}


class EmptySentence(Rule):
    """Answer a fixed sentence."""

    id = "empty:sentence"
    family = "empty"
    empty = "No results found."
    text = {
        "en": "When the text contains nothing to report, write: No results found.",
        "zh": "当文本中没有可报告的内容时，请写：No results found.",
    }
