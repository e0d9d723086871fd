"""LLM paraphrases of task descriptions, kept only when they pass checks (the small model often echoes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from rapidfuzz import fuzz

from hum.checkpoint import unit_seed
from hum.instructions import is_request
from hum.io import Record
from hum.llm.base import ChatModel

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
CJK = re.compile(r"[\u4e00-\u9fff]")
PROMPT = {
    "en": (
        "Rewrite the instruction below in different words with the same meaning. "
        "Keep every placeholder in curly braces, such as {placeholders}, exactly as it is. "
        "Reply with the rewritten instruction only.\n\nInstruction: {text}"
    ),
    "zh": (
        "请用不同的措辞改写下面的指令，意思保持不变。花括号中的占位符（如 {placeholders}）必须原样保留。"
        "只回复改写后的指令。\n\n指令：{text}"
    ),
}
REQUEST_TERMS = {  # words of the request itself: a reply using them talks about the task of paraphrasing
    "en": ("rewrit", "rephras", "paraphras", "instruction", "placeholder", "curly", "brace"),
    "zh": ("改写", "指令", "占位", "花括", "原样", "措辞"),
}
TEMPLATE_TOKEN = re.compile(  # chat-template markers of the common model families
    r"\[/?INST\]|<\|[a-z_]+\|>|</?s>|<(?:start|end)_of_turn>|<\|im_(?:start|end)\|>|<<SYS>>|<</SYS>>", re.IGNORECASE
)
EDGE_TOKENS = re.compile(rf"^(?:\s*(?:{TEMPLATE_TOKEN.pattern}))+|(?:\s*(?:{TEMPLATE_TOKEN.pattern}))+\s*$", re.IGNORECASE)
ROLE_NAMES = frozenset({"system", "user", "assistant", "model"})  # a line of its own after a turn marker
LEAD = re.compile(r"^[\w ]{1,30}[:：]\s*")
WORD = re.compile(r"\w+")


def prompt_for(text: str, lang: str) -> str:
    """The paraphrase request for one description."""
    names = " ".join(sorted(set(PLACEHOLDER.findall(text)))) or "{}"
    return PROMPT[lang].replace("{placeholders}", names).replace("{text}", text)


def clean(reply: str, source: str) -> str:
    """First non-empty line, without quotes, chat-template markers at its ends, or a lead-in label the source lacks."""
    lines = [EDGE_TOKENS.sub("", ln).strip() for ln in reply.strip().splitlines()]
    lines = [ln for ln in lines if ln and ln.casefold() not in ROLE_NAMES]
    text = lines[0].strip('"“”').strip() if lines else ""
    if not LEAD.match(source):
        text = LEAD.sub("", text, count=1)
    return text.strip('"“”').strip()


def intent_problem(candidate: str, intent: Record) -> str | None:
    """Why a paraphrase asks for something other than its sub-task does (see `intent` in descriptions.yaml)."""
    folded = candidate.casefold()
    for group in intent.get("requires", []):
        if not any(stem in folded for stem in group):
            return f"asks for something else (says none of: {', '.join(group)})"
    for pattern in intent.get("forbids", []):
        if re.search(pattern, folded):
            return f"changes what is asked (matches {pattern!r})"
    return None


def cut_copy(candidate: str, source: str) -> bool:
    """A truncated or partial copy of the source, which a fuzzy ratio lets through."""
    core, whole = candidate.casefold().rstrip(" .。!?！？"), source.casefold().rstrip(" .。!?！？")
    return bool(core) and core != whole and core in whole


def form_problem(candidate: str, entry: Record, cfg: dict[str, Any]) -> str | None:
    """Why a text is no usable description of `entry`'s sub-task, whatever its source; every human one passes."""
    lang, bare = entry["lang"], PLACEHOLDER.sub("", candidate)
    words = WORD.findall(candidate.casefold()) or [""]
    checks = (
        (not candidate, "empty"),
        (bool(TEMPLATE_TOKEN.search(candidate)), "chat-template debris"),
        (not any(k in bare.casefold() for k in entry["keywords"]), "lost the task's key terms"),
        ((problem := intent_problem(candidate, entry.get("intent", {}))) is not None, str(problem)),
        (candidate[:2].rstrip(".)").isdigit(), "a list, not an instruction"),
        (not is_request(candidate, lang), "not phrased as an instruction"),
        (len(set(words)) < cfg["min_distinct_words"] * len(words), "repetitive"),
        (
            any(candidate.count(q) % 2 for q in ('"', "'", "`")) or candidate.count("“") != candidate.count("”"),
            "unbalanced quotes",
        ),
        ("{" in bare or "}" in bare, "stray braces"),
        ((lang == "zh") != bool(CJK.search(candidate)), "wrong language"),
    )
    return next((reason for failed, reason in checks if failed), None)


def reject_reason(candidate: str, entry: Record, prompt: str, kept: list[str], cfg: dict[str, Any]) -> str | None:
    """Why a paraphrase of `entry` is rejected, or None when it may be kept: its form, then how it relates to its source."""
    source, folded = entry["text"], candidate.casefold()
    checks = (
        (cut_copy(candidate, source), "a cut copy of its source"),
        (any(t in folded and t not in source.casefold() for t in REQUEST_TERMS[entry["lang"]]), "talks about the request"),
        (fuzz.token_set_ratio(folded, source.casefold()) < cfg["min_overlap"], "meaning drifted from its source"),
        (sorted(PLACEHOLDER.findall(candidate)) != sorted(PLACEHOLDER.findall(source)), "placeholders changed"),
        (not cfg["min_length_ratio"] <= len(candidate) / len(source) <= cfg["max_length_ratio"], "length out of range"),
        (fuzz.ratio(folded, source.casefold()) >= cfg["max_similarity"], "near-copy of its source"),
        (
            fuzz.partial_ratio(folded, prompt.casefold()) >= cfg["max_similarity"] and len(candidate) > len(source),
            "echoes the prompt",
        ),
        (any(fuzz.ratio(folded, k.casefold()) >= cfg["max_similarity"] for k in kept), "near-copy of a kept paraphrase"),
    )
    return form_problem(candidate, entry, cfg) or next((reason for failed, reason in checks if failed), None)


def paraphrase_entry(model: ChatModel, entry: Record, cfg: dict[str, Any], seed: int) -> Iterator[Record]:
    """Kept paraphrases of one human description and the rejected ones, each with its seed and reason."""
    prompt = prompt_for(entry["text"], entry["lang"])
    kept: list[str] = [entry["text"]]
    for attempt in range(cfg["attempts"]):
        call_seed = unit_seed(seed, f"attempt {attempt}")
        reply = model.chat(
            [{"role": "user", "content": prompt}], seed=call_seed, temperature=cfg["temperature"], max_tokens=cfg["max_tokens"]
        )
        candidate = clean(reply, entry["text"])
        reason = reject_reason(candidate, entry, prompt, kept, cfg)
        out = {**entry, "id": f"{entry['id']}~p{attempt}", "parent": entry["id"], "source": "llm", "text": candidate}
        if reason is None:
            kept.append(candidate)
            yield out
        else:
            yield {**out, "reject": reason, "reply": reply}
