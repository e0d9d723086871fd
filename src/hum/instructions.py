"""Assemble the user message: description, label schema, and optional guidelines, rules and format spec."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from hum.phrasing import Layout
from hum.tasks.base import Query

SYSTEM = {  # the instruction-generalist's fixed layout; annotation tasks draw theirs from data/templates/layouts.yaml
    "en": "You are a precise assistant for natural language understanding. Follow the instruction exactly.",
    "zh": "你是一个严谨的自然语言理解助手。请严格按照指令作答。",
}
TEXT_HEAD = {"en": "Text:", "zh": "文本："}  # the instruction-generalist's heading of its text ...
TEXT_FENCE = '"'  # ... and the fence around it (a """ block)
REQUEST_VERBS = frozenset(  # an English request opens a clause with one of these verbs ...
    (  # noqa: SIM905 - a word list reads best as one string
        "annotate answer assign break choose classify collect copy decide determine detect enumerate extract fill find gather "
        "give go highlight identify label list locate mark name pick pinpoint please point provide pull quote read recognise "
        "recognize report return select show spot split state tag tell turn write"
    ).split()
)
QUESTION_WORDS = frozenset(["what", "when", "where", "which", "who", "whom", "whose", "how"])  # ... or opens with one of these
CLAUSE = re.compile(r"(?:^|[,;:.!]\s+)([\w'\"“]+)")
ZH_REQUEST = re.compile(  # a question mark anywhere, or a clause opening with a request word
    r"[？?]|(?:^|[，。；：！,;:])\s*(?:请|列出|列举|找出|选出|识别|抽取|标出|标注|指出|给出|判断|阅读|从|将|哪|什么|谁)"
)


def is_request(text: str, lang: str) -> bool:
    """Whether a description is phrased as a request: a question, or a clause opening with a request word.

    Clause-wise, so a lead-in ("The text describes an event. Extract its arguments", "Given the text, list ...")
    still counts, while a statement ("I'll extract every fact.") does not.
    """
    text = text.strip()
    if lang == "zh":
        return bool(ZH_REQUEST.search(text))
    openings = [m.group(1).strip("\"'“").casefold() for m in CLAUSE.finditer(text)]
    asks = bool(openings) and openings[0] in QUESTION_WORDS
    return text.endswith("?") or asks or any(w in REQUEST_VERBS for w in openings)


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
    """Put the label schema and the query's slots into a description template.

    Slot values (a head entity, a trigger, a question) come from the text: their line breaks become spaces, so a span
    across lines cannot start a line of the description that reads as a part of the instruction.
    """
    slots = {name: " ".join(value.split()) for name, value in query.slots.items()}
    return template.format(labels=label_list(query.labels, lang), **slots)


def label_list(labels: list[str], lang: str) -> str:
    """The labels joined by the language's list separator, each quoted when one of them holds it: one reading only.

    Only a Chinese label can hold its separator `、`; an English one with `", "` is refused at load.
    """
    sep = LIST_SEP[lang]
    if any(sep.strip() in label for label in labels):
        return sep.join(f"“{label}”" for label in labels)
    return sep.join(labels)


@cache
def _runs(char: str) -> re.Pattern[str]:
    """The runs of `char` (compiled once per fence character)."""
    return re.compile(f"{re.escape(char)}+")


@lru_cache(maxsize=64)
def _longest_run(text: str, char: str) -> int:
    """The longest run of `char` in `text` (remembered a while: every instruction on a seed fences its text again)."""
    return max(map(len, _runs(char).findall(text)), default=0)


def fenced(text: str, char: str) -> tuple[str, int]:
    """`text` between two fence lines, and where it starts in that block.

    The fence is `char` repeated more often than in any run of it in the text (and at least three times), as
    CommonMark fences code: no line of the text can close the block, so nothing in it passes for the instruction.
    """
    fence = char * max(3, _longest_run(text, char) + 1)
    return f"{fence}\n{text}\n{fence}", len(fence) + 1


def user_message(parts: Parts, query: Query, lang: str, layout: Layout) -> tuple[str, tuple[int, int]]:
    """The instruction text laid out as `layout` says, and where the input text lies in it (for dedup).

    The text is fenced (`fenced`); the question (one line, from the loader) follows its head on that head's line, so
    neither can open a part of its own.
    """
    heads = layout.heads[lang]
    block, offset = fenced(parts.text, layout.fence)
    body = {
        "description": parts.description,
        "guidelines": parts.guidelines,
        "rules": "\n".join(layout.item.format(i=i) + r for i, r in enumerate(parts.rules, 1)),
        "format": parts.format_spec,
        "text": block if parts.text else "",
        "question": query.slots.get("question", ""),
    }
    message, span = "", (0, 0)
    for part in (p for p in layout.order if body[p]):
        if message:
            message += "\n\n"
        message += heads[part]
        if part == "text":
            span = (len(message) + offset, len(message) + offset + len(parts.text))
        message += body[part]
    return message, span
