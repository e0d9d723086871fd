"""The text of an LLM reply: its first line, without chat-template tokens, quotes or a lead-in such as "Definition:"."""

from __future__ import annotations

import re

from hum.paraphrase import ROLE_NAMES, TEMPLATE_TOKEN

CHAT_MARKUP = (  # the paraphrase stage's template tokens, plus any `<|…|>` token, bare special tokens and role headers
    rf"{TEMPLATE_TOKEN.pattern}|<\|[^|<>\n]{{1,40}}\|>|</?(?:bos|eos|pad|unk)>"
    r"|#{2,}\s*(?:assistant|user|system|response|instruction)\b:?"
)
ROLES = "|".join(sorted(ROLE_NAMES))  # a turn marker may name its role on the same line
DEBRIS = re.compile(CHAT_MARKUP, re.IGNORECASE)  # chat-template tokens of any model family
DEBRIS_HEAD = re.compile(rf"^\s*(?:{CHAT_MARKUP})(?:\s*(?:{ROLES})\b:?)?\s*", re.IGNORECASE)
DEBRIS_TAIL = re.compile(rf"\s*(?:{CHAT_MARKUP})\s*$", re.IGNORECASE)
LEAD = re.compile(
    r"^\W{0,3}(?:definition|paraphrase|rewritten|answer|response|include|exclude|inclusion|exclusion|note|sentence"
    r"|定义|释义|回答|答案|改写)\W{0,3}\d*\s*[:：]\s*",
    re.IGNORECASE,
)
QUOTES = "\"'“”‘’「」『』*"


def clean(reply: str, label: str) -> str:
    """The first non-empty line without chat-template tokens at its ends, quotes, or a lead-in ("Definition: ")."""
    lead_label = re.compile(rf"^\W{{0,3}}{re.escape(label)}\W{{0,3}}[:：]\s*", re.IGNORECASE)
    for line in reply.splitlines():
        text = line.strip()
        while head := DEBRIS_HEAD.match(text):
            text = text[head.end() :]
        while tail := DEBRIS_TAIL.search(text):
            text = text[: tail.start()]
        text = lead_label.sub("", LEAD.sub("", text.strip(QUOTES + " "), count=1), count=1).strip(QUOTES + " ")
        if text:
            return text
    return ""
