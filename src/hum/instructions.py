"""Assemble the user message: description, label schema, and optional guidelines, rules and format spec."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hum.tasks.base import Query

SYSTEM = {
    "en": "You are a precise assistant for natural language understanding. Follow the instruction exactly.",
    "zh": "你是一个严谨的自然语言理解助手。请严格按照指令作答。",
}
HEAD = {  # headings with the punctuation of their language; inline ones end with their separator
    "en": {
        "guidelines": "Label guidelines:",
        "rules": "Rules:",
        "format": "Output format: ",
        "text": "Text:",
        "question": "Question: ",
    },
    "zh": {"guidelines": "标签说明：", "rules": "规则：", "format": "输出格式：", "text": "文本：", "question": "问题："},
}
IMPERATIVE_STARTS = frozenset(  # an English instruction opens with a request verb or a question word
    (  # noqa: SIM905 - a word list reads best as one string
        "answer assign break choose classify copy determine detect extract find give highlight identify label list "
        "locate mark name pick please read recognise recognize return select show spot split tag tell write "
        "what when where which who how"
    ).split()
)
ZH_REQUEST = re.compile(r"[？?]$|^(请|列出|找出|识别|抽取|从|将|给出|判断|阅读|哪|什么|谁)")


def is_request(text: str, lang: str) -> bool:
    """Whether a sentence is phrased as a request: a question, or (English) an opening request verb."""
    if lang == "zh":
        return bool(ZH_REQUEST.search(text.strip()))
    words = text.strip().split()
    return bool(words) and (text.strip().endswith("?") or words[0].strip("\"'").casefold() in IMPERATIVE_STARTS)


LIST_SEP = {"en": ", ", "zh": "、"}


@dataclass(frozen=True)
class Parts:
    """Everything an instruction states; empty strings and lists are left out."""

    description: str
    text: str
    guidelines: str = ""
    rules: tuple[str, ...] = ()
    format_spec: str = ""


def fill(template: str, query: Query, lang: str) -> str:
    """Put the label schema and the query's slots into a description template."""
    return template.format(labels=LIST_SEP[lang].join(query.labels), **query.slots)


def user_message(parts: Parts, query: Query, lang: str) -> str:
    """The instruction text; the question (MRC) comes after the passage, as readers expect."""
    head = HEAD[lang]
    blocks = [parts.description]
    if parts.guidelines:
        blocks.append(f"{head['guidelines']}\n{parts.guidelines}")
    if parts.rules:
        blocks.append(f"{head['rules']}\n" + "\n".join(f"{i}. {r}" for i, r in enumerate(parts.rules, 1)))
    if parts.format_spec:
        blocks.append(f"{head['format']}{parts.format_spec}")
    blocks.append(f"{head['text']}\n{parts.text}")
    if "question" in query.slots:
        blocks.append(f"{head['question']}{query.slots['question']}")
    return "\n\n".join(blocks)
