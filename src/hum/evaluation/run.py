"""Held-out instructions asked of a model and scored: the loop the `evaluate` stage and `hum eval` share.

Prompts are the evaluation split of each task dataset rendered by the generator itself, so a model is asked the way
the corpus teaches, in one of three styles: `basic` (description, labels, text), `format` (and the answer format)
or `compound` (guidelines, rules and format as generation draws them). Each record is asked as it is: no
empty-answer target, no negative passages, one prompt per record. Replies go through the recorded-replies store
like every LLM stage, so a rerun asks nothing.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from hum.checkpoint import unit_seed
from hum.evaluation.counts import Counts
from hum.evaluation.metrics import score_reply
from hum.evaluation.report import group, summarise
from hum.generate import Context, UnusableSeedError, instruction, load_context
from hum.io import Record, read_jsonl
from hum.llm.base import ChatModel, ChatRequest, chat_all, concurrency_of

STYLES: dict[str, dict[str, Any]] = {  # generation params of each prompt style
    "basic": {"compound_ratio": 0.0},  # the task, its labels and the text; the answer's form is not stated
    "format": {"compound_ratio": 1.0, "p_format": 1.0, "p_rules": 0.0, "p_instruction": 0.0},  # ... and the format
    "compound": {"compound_ratio": 1.0},  # guidelines, rules and format as generation draws them
}


def prompt_params(generate: dict[str, Any], style: str) -> dict[str, Any]:
    """Generation params for prompts of `style`: every record as it is, one prompt each, no derived requests."""
    chosen = dict(STYLES[style])
    guidelines = {**generate["guidelines"], "p_instruction": chosen.pop("p_instruction", generate["guidelines"]["p_instruction"])}
    empty = {**generate["empty"], "target": None}
    return {**generate, **chosen, "guidelines": guidelines, "empty": empty, "per_record": 1, "p_request": 0.0}


def held_out(prepared: Path, limit: int | None) -> Iterator[Record]:
    """The first `limit` records (all when None) of every task dataset's evaluation split, dataset by dataset."""
    for path in sorted(prepared.glob("*.eval.jsonl")):
        records = (r for r in read_jsonl(path) if r["task"] != "general")
        yield from itertools.islice(records, limit)


def prompts(records: Iterable[Record], ctx: Context, skipped: Counter[str]) -> Iterator[Record]:
    """Each record as an instruction record (its assistant message is the gold answer); unusable ones are counted."""
    for record in records:
        try:
            made = instruction(record, ctx, 0)
        except UnusableSeedError as exc:
            skipped[str(exc)] += 1
            continue
        if made is not None:
            yield made


def request(prompt: Record, cfg: dict[str, Any], seed: int) -> ChatRequest:
    """The call that asks one prompt: its messages without the gold answer, seeded by its id."""
    return ChatRequest(prompt["messages"][:-1], unit_seed(seed, prompt["id"]), cfg["temperature"], cfg["max_tokens"])


def predict(prompt: Record, reply: str) -> tuple[Record, Counts]:
    """The model's reply to one prompt, kept with the gold answer and whether it could be read, and its score."""
    asked = prompt["messages"][:-1]
    counts = score_reply(prompt["meta"], reply)
    meta = prompt["meta"]
    return {
        "id": prompt["id"], "dataset": meta["dataset"], "task": meta["task"], "subtask": meta["subtask"],
        "format": meta["format"], "messages": asked, "gold": prompt["messages"][-1]["content"], "reply": reply,
        "parsed": not counts.unparsable,
    }, counts  # fmt: skip


def evaluate(
    prepared: Path, templates: Path, guidelines: Path, params: dict[str, Any], chat: ChatModel
) -> tuple[list[Record], dict[str, Any]]:
    """Predictions for the held-out prompts and the metrics report (`hum.evaluation.report`), with a progress bar."""
    cfg, seed = params["evaluate"], params["seed"]
    ctx = load_context(prepared, templates, None, guidelines, params=prompt_params(params["generate"], cfg["style"]), seed=seed)
    skipped: Counter[str] = Counter()
    asked = list(prompts(held_out(prepared, cfg["limit"]), ctx, skipped))
    predictions, scored = [], []
    step = 8 * concurrency_of(chat)  # calls asked at once: a batching model decodes them together
    with tqdm(total=len(asked), desc="evaluate", unit="prompt", mininterval=1.0) as bar:
        for start in range(0, len(asked), step):
            part = asked[start : start + step]
            for prompt, reply in zip(part, chat_all(chat, [request(p, cfg, seed) for p in part]), strict=True):
                prediction, counts = predict(prompt, reply)
                predictions.append(prediction)
                scored.append((prompt["meta"], counts))
            bar.update(len(part))
    report: dict[str, Any] = {**summarise(group(scored)), "skipped": sum(skipped.values())}
    return predictions, report


def summary_line(report: dict[str, Any]) -> str:
    """One line: records, unreadable replies and each task's headline score."""
    tasks = sorted({k.split("/")[0] for k in report if k.endswith("/score") and not k.startswith("overall")})
    scores = ", ".join(f"{t} {report[f'{t}/score']:.3f}" for t in tasks)
    return (
        f"[evaluate] {report.get('overall/records', 0):.0f} prompts, {report.get('overall/unparsable', 0):.0f} replies "
        f"unreadable, {report['skipped']} records skipped; scores: {scores or 'none'}; overall {report.get('overall/score', 0.0)}"
    )
