"""Instruction-generalist: free-form NLU requests over a seed text, written by the LLM.

Nothing here has a gold annotation, so every kept pair must be grounded in its text:
- `free_form`: the LLM writes a request and its answer; every item of the answer must be found (nearly
  verbatim) in the text.
- `span_question`: the answer is a gold span of the text (grounded by construction) and the LLM writes a
  question for it; the question must be a real question about the text that does not give the answer away.
"""

from __future__ import annotations

import re
from typing import Any

from rapidfuzz import fuzz

from hum.instructions import TEXT_FENCE, TEXT_HEAD, fenced, is_request
from hum.io import Record
from hum.paraphrase import TEMPLATE_TOKEN
from hum.records import meta_record

SYSTEM_PROMPT = {  # the task, said once; two worked examples follow as chat turns (tiny models copy form)
    "free_form": {
        "en": "You write one request about a text (a question, or an instruction to list or find something) and its "
        "answer copied from the text. Reply in the form:\nRequest: <request>\nAnswer: <answer>",
        "zh": "你针对一段文本写一个请求（一个问题，或让人列出、找出某些内容），并写出摘自原文的答案。"
        "回复格式：\n请求：<请求>\n答案：<答案>",
    },
    "span_question": {
        "en": "You write one question about a text whose answer is the given answer. Reply with the question only.",
        "zh": "你针对一段文本写一个问题，其答案就是给定的答案。只回复问题本身。",
    },
}
ASK = {
    "free_form": {"en": "Text: {text}", "zh": "文本：{text}"},
    "span_question": {"en": "Text: {text}\nAnswer: {answer}", "zh": "文本：{text}\n答案：{answer}"},
}
DEMOS = {  # (text, answer, request) written for this project
    "en": [
        ("The museum in Lyon reopened on 3 May after a fire destroyed its east wing.", "3 May",
         "When did the museum in Lyon reopen?"),
        ("Maria Lopez, a nurse from Quito, moved to Madrid in 2010 and to Berlin in 2015.", "- Madrid\n- Berlin",
         "List the cities Maria Lopez moved to."),
    ],
    "zh": [
        ("里昂的博物馆在一场大火烧毁其东翼后，于5月3日重新开放。", "5月3日", "里昂的博物馆是哪一天重新开放的？"),
        ("护士玛丽亚来自基多，2010年搬到马德里，2015年又搬到柏林。", "- 马德里\n- 柏林", "列出玛丽亚搬去过的城市。"),
    ],
}  # fmt: skip


def prompt_messages(kind: str, lang: str, text: str, answer: str = "") -> list[dict[str, str]]:
    """System instruction, two worked examples and the real text, as chat messages."""
    label = {"en": ("Request: ", "\nAnswer: "), "zh": ("请求：", "\n答案：")}[lang]
    messages = [{"role": "system", "content": SYSTEM_PROMPT[kind][lang]}]
    for demo_text, demo_answer, demo_request in DEMOS[lang]:
        reply = demo_request if kind == "span_question" else f"{label[0]}{demo_request}{label[1]}{demo_answer}"
        messages += [
            {"role": "user", "content": ASK[kind][lang].format(text=demo_text, answer=demo_answer)},
            {"role": "assistant", "content": reply},
        ]
    return [*messages, {"role": "user", "content": ASK[kind][lang].format(text=text, answer=answer)}]


ANSWER_PROMPT = {  # the round trip: a separate call must answer the request with what the record claims
    "en": "Answer the request about the text with words copied from the text. Reply with the answer only.",
    "zh": "请用摘自文本的词语回答关于该文本的请求。只回复答案本身。",
}
ANSWER_ASK = {"en": "Text: {text}\nRequest: {request}", "zh": "文本：{text}\n请求：{request}"}


def answer_messages(request: str, text: str, lang: str) -> list[dict[str, str]]:
    """The round-trip call: the request and its text, with no hint of the expected answer."""
    return [
        {"role": "system", "content": ANSWER_PROMPT[lang]},
        {"role": "user", "content": ANSWER_ASK[lang].format(text=text, request=request)},
    ]


def round_trip_problem(answered: str, answer: str, cfg: dict[str, Any]) -> str | None:
    """Why the model's own answer to the request does not give back the record's answer, or None.

    Every item of the record's answer must be in the reply, and the reply must not be much more than them:
    a question that its span does not answer (or answers only among other things) is not kept.
    """
    items, reply = answer_items(answer), " ".join(answer_items(answered)).casefold()
    if not reply:
        return "round trip: no answer"
    if any(fuzz.partial_ratio(i.casefold(), reply) < cfg["min_grounding"] for i in items):
        return "round trip: the request is answered with something else"
    if len(reply) > cfg["round_trip_slack"] * sum(len(i) for i in items) + 10:
        return "round trip: the answer is buried in a longer reply"
    return None


META_WORDS = {"en": ("text", "sentence", "question", "answer", "riddle", "request"), "zh": ("文本", "问题", "答案", "请求")}
PAIR = re.compile(
    r"^\W*(?:request|question|请求|问题)\w*\s*[:：]\s*(.*?)\s*^\W*(?:answer|response|答案)\s*[:：]\s*(.*)",
    re.IGNORECASE | re.MULTILINE | re.DOTALL,
)
BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")
LATIN_WORD = re.compile(r"[^\W\d_\u4e00-\u9fff]{4,}")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def content_words(text: str) -> set[str]:
    """Latin words of four letters or more, and overlapping character pairs of Chinese runs."""
    pairs = {run[i : i + 2] for run in CJK_RUN.findall(text) for i in range(len(run) - 1)}
    return set(LATIN_WORD.findall(text)) | pairs


NEXT_TURN = re.compile(  # an invented next turn: a new heading, or a chat-template marker of any family
    rf"^\W*(?:request|question|text|请求|问题|文本)\s*[:：]|{TEMPLATE_TOKEN.pattern}", re.IGNORECASE | re.MULTILINE
)


def parse_pair(reply: str) -> tuple[str, str] | None:
    """Request and answer of a `free_form` reply, or None when it is not in the asked form.

    The answer ends where a reply runs on into an invented next turn (another "Request:", a chat marker).
    """
    match = PAIR.search(reply)
    if match is None:
        return None
    answer = NEXT_TURN.split(match.group(2), maxsplit=1)[0]
    return match.group(1).strip().strip('"'), answer.strip().strip('"')


def parse_question(reply: str) -> str:
    """First line of a `span_question` reply, without quotes."""
    lines = [ln.strip().strip('"“”') for ln in reply.strip().splitlines() if ln.strip()]
    return lines[0] if lines else ""


def answer_items(answer: str) -> list[str]:
    """Items of a list answer (one per line, bullets removed), or the answer itself."""
    return [BULLET.sub("", line).strip() for line in answer.splitlines() if line.strip()]


def request_problem(request: str, answer: str, text: str, lang: str, cfg: dict[str, Any]) -> str | None:
    """Why a request is not a real request about the text, or None."""
    folded, asked = text.casefold(), request.casefold()
    shared = content_words(asked) & content_words(folded)
    checks = (
        (not cfg["min_request_chars"] <= len(request) <= cfg["max_request_chars"], "request length out of range"),
        (not is_request(request, lang), "not phrased as a request"),
        (any(w in asked for w in META_WORDS[lang]), "request talks about the task, not the text"),
        (len(shared) < cfg["min_shared_words"], "request is not about the text"),
        (answer.casefold() in asked, "request gives the answer away"),
        (fuzz.ratio(asked, folded) >= cfg["max_similarity"], "request copies the text"),
    )
    return next((reason for failed, reason in checks if failed), None)


def grounding_problem(answer: str, text: str, cfg: dict[str, Any]) -> str | None:
    """Why an LLM-written answer is not grounded in the text, or None."""
    items = answer_items(answer)
    if not items:
        return "empty answer"
    if len(answer) > cfg["max_answer_share"] * len(text):
        return "answer copies most of the text"
    folded = text.casefold()
    if any(len(i) < cfg["min_answer_chars"] or fuzz.partial_ratio(i.casefold(), folded) < cfg["min_grounding"] for i in items):
        return "answer not grounded in the text"
    return None


def to_record(seed: Record, kind: str, request: str, answer: str, system: str) -> Record:
    """A corpus record with the same meta fields as annotation tasks; the answer is its own gold."""
    lang, text = seed["lang"], seed["text"]
    head = f"{request}\n\n{TEXT_HEAD[lang]}\n"
    block, offset = fenced(text, TEXT_FENCE)
    start = len(head) + offset
    meta = meta_record(
        task="generalist", subtask=kind, dataset=seed["dataset"], seed_id=seed["id"], lang=lang, kind="basic",
        columns=["answer"], gold=[[answer]], text_span=[start, start + len(text)],
    )  # fmt: skip
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": head + block},
        {"role": "assistant", "content": answer},
    ]
    return {"id": f"{seed['dataset']}/{seed['id']}#g", "messages": messages, "meta": meta}
