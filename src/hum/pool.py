"""The description pool: human seeds, LLM paraphrases proposed for review, and what a person accepted."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from hum.checkpoint import CHECKPOINTS, Checkpoint, run_resumable, unit_seed
from hum.io import Record
from hum.llm.base import ChatModel, concurrency_of
from hum.paraphrase import paraphrase_entry
from hum.provenance import digest, publish
from hum.review import load_decisions, load_proposals, pending
from hum.step import top_reasons

KIND = "description"  # what a proposal proposes; reviews.yaml may later hold other kinds (guidelines, ...)
PROPOSALS, REJECTS = "proposals.jsonl", "rejects.jsonl"
Group = tuple[str, str, str]


def human_descriptions(path: Path) -> list[Record]:
    """Every human-written description, with a stable id `lang.task.subtask.n`."""
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    keywords, intent = tree["keywords"], tree.get("intent", {})
    return [
        {
            "id": f"{lang}.{task}.{subtask}.{i}",
            "lang": lang,
            "task": task,
            "subtask": subtask,
            "text": text,
            "source": "human",
            "keywords": keywords[lang][task],
            "intent": intent.get(lang, {}).get(f"{task}.{subtask}", {}),
        }
        for lang, tasks in tree["descriptions"].items()
        for task, subtasks in tasks.items()
        for subtask, texts in subtasks.items()
        for i, text in enumerate(texts)
    ]


def proposal_id(parent: str, text: str) -> str:
    """Content-addressed id, so a review decision stays attached to its text across rebuilds and model changes."""
    return f"{parent}~{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def as_proposal(kept: Record, parent: Record) -> Record:
    """A kept paraphrase as a proposal awaiting review; it carries its parent's text so a reviewer sees both."""
    return {
        "id": proposal_id(parent["id"], kept["text"]),
        "kind": KIND,
        "lang": parent["lang"],
        "task": parent["task"],
        "subtask": parent["subtask"],
        "parent": parent["id"],
        "parent_text": parent["text"],
        "text": kept["text"],
        "keywords": parent["keywords"],
        "source": "llm",
        "status": "proposed",
    }


def build_pool(templates: Path, model: ChatModel, params: dict[str, Any], out: Path) -> None:
    """Write `proposals.jsonl` (checked paraphrases, for review) and `rejects.jsonl`; resumes from a checkpoint."""
    cfg, seed = params["paraphrase"], params["seed"]
    human = human_descriptions(templates)
    sources = [e for e in human if int(e["id"].rsplit(".", 1)[1]) < cfg["per_subtask"]]  # the first few of each sub-task
    state = Checkpoint(CHECKPOINTS / f"paraphrase-{digest([params, model.fingerprint, sources])[:16]}.jsonl")
    by_id = {e["id"]: e for e in sources}

    def work(key: str) -> list[Record]:
        return list(paraphrase_entry(model, by_id[key], cfg, unit_seed(seed, f"{key}:{by_id[key]['text']}")))

    results = run_resumable(state, list(by_id), work, "paraphrase", workers=concurrency_of(model))
    proposals = {p["id"]: p for p in (as_proposal(r, by_id[r["parent"]]) for r in results if "reject" not in r)}
    rejects = [r for r in results if "reject" in r]
    reasons = Counter(r["reject"] for r in rejects)
    counts = {
        "human": len(human),
        "attempts": len(results),
        "proposed": len(proposals),
        "yield": round(len(proposals) / len(results), 3) if results else 0.0,
        "rejected": len(rejects),
        "reject_reasons": dict(reasons),
    }
    files = {PROPOSALS: [proposals[k] for k in sorted(proposals)], REJECTS: rejects}
    publish(out, "paraphrase", files, params, counts, model=model.fingerprint)
    state.clear()
    detail = f" ({top_reasons(reasons)})" if reasons else ""
    summary = f"{len(human)} human descriptions, {len(proposals)} paraphrases proposed for review, {len(rejects)} rejected"
    print(f"[paraphrase] {summary}{detail}")


def load_pool(templates: Path, proposals: Path | None, reviews: Path, unreviewed: bool) -> dict[Group, list[Record]]:
    """Descriptions for generation grouped by (lang, task, subtask), each group sorted by id.

    Human descriptions and accepted review decisions (with their final text) always; proposals not yet
    decided only when `unreviewed` is true. Accepted decisions stand without the proposals file: they are
    versioned human data, while proposals are rebuilt whenever the model or its parameters change.
    """
    if unreviewed and proposals is None:
        raise ValueError("unreviewed proposals were asked for, but no proposals file was given")
    decisions = [d for d in load_decisions(reviews) if d["kind"] == KIND]
    records = [{**_pool_fields(h), "source": "human", "status": "accepted"} for h in human_descriptions(templates)]
    records += [{**_pool_fields(d), "source": "llm", "status": "accepted"} for d in decisions if d["decision"] == "accepted"]
    if unreviewed and proposals is not None:
        undecided = pending([p for p in load_proposals(proposals) if p["kind"] == KIND], decisions)
        records += [{**_pool_fields(p), "source": "llm", "status": "proposed"} for p in undecided]
    pool: dict[Group, list[Record]] = {}
    for rec in sorted(records, key=lambda r: (r["lang"], r["task"], r["subtask"], r["id"])):
        pool.setdefault((rec["lang"], rec["task"], rec["subtask"]), []).append(rec)
    return pool


def _pool_fields(rec: Record) -> Record:
    return {k: rec[k] for k in ("id", "lang", "task", "subtask", "text")}
