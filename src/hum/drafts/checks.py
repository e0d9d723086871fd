"""The checks an LLM text must pass to be part of a draft: one sentence in the draft's language that defines, not copies.

Each check names its cause, so the rejects file tells why the small model's texts fail.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from hum.drafts.cleaning import DEBRIS
from hum.drafts.job import Job
from hum.paraphrase import CJK, WORD

LENGTH = {"en": (20, 300), "zh": (6, 150)}  # sane characters for one sentence
MAX_SIMILARITY = 90  # rapidfuzz ratio from which a text counts as a copy
MIN_MEANING = 50  # rapidfuzz token-set ratio a paraphrase keeps with its definition
SEPARATORS = re.compile(r"[\s_\-.]+")
BULLET = re.compile(r"^(?:[-*•]|\d+[.)、])\s*")
LIST_GLUE = {"and", "or", "e", "g", "eg", "etc", "such", "as", "like", "和", "或", "等", "及"}
REQUEST = {  # words about the request or the task: a reply using them talks about the work instead of defining
    "en": re.compile(
        r"\b(?:as an ai|language model|i cannot|i can't|i am unable|i'm sorry|here is|here's|here are|definition of"
        r"|the definition|this definition|one sentence|in other words|same meaning|rewrit\w*|rephras\w*|paraphras\w*"
        r"|less obvious case|looks similar|(?:this|the) task|classif\w*|data ?set|annotat\w*|(?:the|a) model)\b"
        r"|^(?:sure|certainly|of course|okay)\b",
        re.IGNORECASE,
    ),
    "zh": re.compile(
        r"作为一?个?(?:人工智能|ai)|语言模型|我不能|我无法|抱歉|以下是|定义如下|标签的定义|这个定义|一句话|换一种说法|意思不变|改写"
        r"|任务|分类|数据集|标注",
        re.IGNORECASE,
    ),
}
DEFINES = {  # how a definition reads when it does not name its label
    "en": re.compile(
        r"\b(?:refers? to|is an?|is the|are|means|denotes|indicates|describes|marks|covers|includes|names?|named"
        r"|kinds? of|types? of|any|such as|like|that|which|who|whose|used (?:for|to))\b",
        re.IGNORECASE,
    ),
    "zh": re.compile("指|是|表示|包括|用于|描述"),
}


def _words(text: str) -> str:
    return " ".join(SEPARATORS.split(text.casefold())).strip()


def names_label(text: str, job: Job) -> bool:
    """Whether `text` names the label: every word of its name or of an alias, case-blind, `_-.` read as spaces."""
    words = _words(text)
    return any(all(w in words for w in _words(name).split()) for name in (job.name, *job.aliases))


def bare_list(text: str, quoted: tuple[str, ...]) -> bool:
    """Whether `text` is the quoted examples strung together, with at most two words (Chinese: characters) besides."""
    rest = text.casefold()
    for q in sorted(quoted, key=len, reverse=True):
        rest = rest.replace(q.casefold(), " ")
    said = CJK.findall(rest) if CJK.search(text) else WORD.findall(rest)
    return rest != text.casefold() and len([w for w in said if w not in LIST_GLUE]) <= 2  # noqa: PLR2004


def similar(text: str, other: str) -> bool:
    """Whether `text` nearly copies `other` (case-blind rapidfuzz ratio)."""
    return fuzz.ratio(text.casefold(), other.casefold()) >= MAX_SIMILARITY


def copy_of(text: str, others: list[tuple[str, str]]) -> str | None:
    """The owner of the first of `others` (owner, text) that `text` nearly copies, or None."""
    return next((owner for owner, other in others if similar(text, other)), None)


def keeps_meaning(paraphrase: str, definition: str) -> bool:
    """Whether a paraphrase still says what the definition says, in other words."""
    return fuzz.token_set_ratio(paraphrase.casefold(), definition.casefold()) >= MIN_MEANING and not similar(
        paraphrase, definition
    )


def reject_reason(text: str, job: Job, field: str, *, prompt: str, kept: list[str], others: list[tuple[str, str]]) -> str | None:
    """Why an LLM text cannot be part of the draft of `job`, or None; the first failed check names the cause.

    `kept` holds the draft's texts kept so far (the definition first), `others` the (label, definition) of
    other labels, from the guideline files and from drafts.
    """
    return form_problem(text, job) or content_problem(text, job, field, prompt=prompt, kept=kept, others=others)


def form_problem(text: str, job: Job) -> str | None:  # noqa: PLR0911  (one return per check: the first one names the cause)
    """What is wrong with a text as one sentence in the draft's language, whatever it says, or None."""
    lo, hi = LENGTH[job.lang]
    if not text:
        return "empty after cleaning"
    if debris := DEBRIS.search(text):
        return f"chat-template debris in the text ({debris.group()})"
    if not lo <= len(text) <= hi:
        return f"too {'short' if len(text) < lo else 'long'} ({len(text)} characters, want {lo}-{hi})"
    if (job.lang == "zh") != bool(CJK.search(text)):
        return "wrong language: " + ("no Chinese characters" if job.lang == "zh" else "Chinese characters in English")
    if talk := REQUEST[job.lang].search(text):
        return f"talks about the request ({talk.group()!r})"
    if BULLET.match(text) or bare_list(text, job.positives + job.negatives):
        return "a bare list of examples, not a sentence"
    return None


def content_problem(  # noqa: PLR0911  (one return per check: the first one names the cause)
    text: str, job: Job, field: str, *, prompt: str, kept: list[str], others: list[tuple[str, str]]
) -> str | None:
    """What is wrong with what a well-formed text says: a copy, an echo, no definition, a drifted paraphrase; or None."""
    if owner := copy_of(text, others):
        return f"near-copy of the definition of {owner!r}"
    if field == "definition" and any(similar(text, t) for t in job.earlier):
        return "near-copy of an earlier draft of this label"
    if kept and similar(text, kept[0]):
        return "near-copy of the definition"
    if any(similar(text, t) for t in kept[1:]):
        return "near-copy of a text kept in this draft"
    if fuzz.partial_ratio(text.casefold(), prompt.casefold()) >= MAX_SIMILARITY:
        return "echoes the prompt"
    if field in {"definition", "paraphrase"} and not (names_label(text, job) or DEFINES[job.lang].search(text)):
        return "neither names the label nor reads as a definition"
    if field == "paraphrase" and not keeps_meaning(text, kept[0]):
        return "meaning drifted from the definition"
    return None
