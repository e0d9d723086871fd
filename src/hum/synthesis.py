"""LLM synthesis of instruction-generalist records over seed texts, checked for grounding, resumable."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hum.checkpoint import CHECKPOINTS, Checkpoint, run_resumable, unit_seed
from hum.instructions import SYSTEM
from hum.io import Record
from hum.llm.base import ChatModel, concurrency_of
from hum.provenance import digest, publish
from hum.step import record_guard, top_reasons
from hum.tasks import TASKS
from hum.tasks.generalist import (
    answer_messages,
    grounding_problem,
    parse_pair,
    parse_question,
    prompt_messages,
    request_problem,
    round_trip_problem,
    to_record,
)


def pick_texts(records: Iterable[Record], cfg: dict[str, Any], seed: int) -> list[Record]:
    """Up to `per_dataset` distinct texts of a usable length per dataset, in a seeded order."""
    by_dataset: dict[str, dict[str, Record]] = {}
    for rec in records:
        if cfg["min_text_chars"] <= len(rec["text"]) <= cfg["max_text_chars"]:
            by_dataset.setdefault(rec["dataset"], {}).setdefault(rec["text"], rec)
    picked = []
    for name in sorted(by_dataset):
        ranked = sorted(by_dataset[name].values(), key=lambda r: unit_seed(seed, f"{name}/{r['id']}"))
        picked += ranked[: cfg["per_dataset"]]
    return picked


def attempt(
    model: ChatModel, seed_record: Record, kind: str, cfg: dict[str, Any], call_seed: int
) -> tuple[str, str, str | None, str]:
    """One LLM call of the given kind: (request, answer, reject reason or None, raw reply)."""
    lang, text = seed_record["lang"], seed_record["text"]
    span = random.Random(call_seed).choice(gold_spans(seed_record, cfg)) if kind == "span_question" else ""
    call = {"seed": call_seed, "temperature": cfg["temperature"], "max_tokens": cfg["max_tokens"]}
    reply = model.chat(prompt_messages(kind, lang, text, span), **call)
    if kind == "span_question":
        request, answer = parse_question(reply), span
        reason = request_problem(request, span, text, lang, cfg)
    elif (pair := parse_pair(reply)) is None:
        return "", "", "reply not in the asked form", reply
    else:
        request, answer = pair
        reason = grounding_problem(answer, text, cfg) or request_problem(request, answer, text, lang, cfg)
    if reason is None and cfg["round_trip"]:
        answered = model.chat(answer_messages(request, text, lang), **{**call, "temperature": 0.0})
        reason = round_trip_problem(answered, answer, cfg)
        reply += f"\n--- round trip ---\n{answered}"
    return request, answer, reason, reply


def gold_spans(record: Record, cfg: dict[str, Any]) -> list[str]:
    """Distinct gold spans of a record (entities, arguments, answers...) long enough to ask about."""
    task = TASKS.get(record["task"])
    return sorted({s.text for s in task.spans(record) if len(s.text) >= cfg["min_answer_chars"]}) if task else []


def synthesise(model: ChatModel, seed_record: Record, cfg: dict[str, Any], seed: int) -> list[Record]:
    """Try the kinds that fit the record in turn; keep the first grounded pair, record why the others failed."""
    kinds = [k for k in cfg["kinds"] if k != "span_question" or gold_spans(seed_record, cfg)]
    out: list[Record] = []
    for n in range(cfg["attempts"] if kinds else 0):
        kind = kinds[n % len(kinds)]
        request, answer, reason, reply = attempt(model, seed_record, kind, cfg, unit_seed(seed, f"attempt {n}"))
        if reason is None:
            return [*out, to_record(seed_record, kind, request, answer, SYSTEM[seed_record["lang"]])]
        out.append(
            {
                "reject": reason,
                "kind": kind,
                "dataset": seed_record["dataset"],
                "seed_id": seed_record["id"],
                "attempt": n,
                "reply": reply,
            }
        )
    return out


def build_generalist(seeds: Iterable[Record], model: ChatModel, params: dict[str, Any], out: Path) -> None:
    """Write `instructions.jsonl` (grounded records) and `rejects.jsonl` (with reasons), resuming if interrupted."""
    cfg, seed = params["generalist"], params["seed"]
    texts = {f"{r['dataset']}/{r['id']}": r for r in pick_texts(seeds, cfg, seed)}
    state = Checkpoint(CHECKPOINTS / f"generalist-{digest([params, model.fingerprint, sorted(texts)])[:16]}.jsonl")
    results = run_resumable(
        state,
        list(texts),
        lambda key: synthesise(model, texts[key], cfg, unit_seed(seed, key)),
        "generalist",
        concurrency_of(model),
    )
    kept = [r for r in results if "reject" not in r]
    rejects = [r for r in results if "reject" in r]
    reasons = Counter(r["reject"] for r in rejects)
    attempts = len(kept) + len(rejects)
    counts = {
        "texts": len(texts),
        "attempts": attempts,
        "kept": len(kept),
        "yield": round(len(kept) / attempts, 3) if attempts else 0.0,
        "rejected": len(rejects),
        "reject_reasons": dict(reasons),
    }
    record_guard("generalist")(kept)  # LLM-written records meet the same record schema as every other stage's
    publish(out, "generalist", {"instructions.jsonl": kept, "rejects.jsonl": rejects}, params, counts, model=model.fingerprint)
    state.clear()
    summary = f"{len(texts)} texts, {len(kept)} grounded requests kept, {len(rejects)} attempts rejected"
    weak = "; none kept: the model is too weak to pass the checks, and nothing unproven is kept" if texts and not kept else ""
    print(f"[generalist] {summary} ({top_reasons(reasons)}){weak}")
