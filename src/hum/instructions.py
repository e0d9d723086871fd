"""Assemble the user message: description, label schema, and optional guidelines, rules and format spec."""

from __future__ import annotations

from dataclasses import dataclass

from hum.tasks.base import Query

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
