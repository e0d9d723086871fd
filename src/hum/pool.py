"""The description pool: human seeds plus the LLM paraphrases that passed every check."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from hum.checkpoint import CHECKPOINTS, Checkpoint, run_resumable, unit_seed
from hum.io import Record, read_jsonl
from hum.llm.base import ChatModel
from hum.paraphrase import paraphrase_entry
from hum.provenance import digest, publish
from hum.step import top_reasons


def human_descriptions(path: Path) -> list[Record]:
    """Every human-written description, with a stable id `lang.task.subtask.n`."""
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    keywords = tree["keywords"]
    return [
        {
            "id": f"{lang}.{task}.{subtask}.{i}",
            "lang": lang,
            "task": task,
            "subtask": subtask,
            "text": text,
            "source": "human",
            "keywords": keywords[lang][task],
        }
        for lang, tasks in tree["descriptions"].items()
        for task, subtasks in tasks.items()
        for subtask, texts in subtasks.items()
        for i, text in enumerate(texts)
    ]


def build_pool(templates: Path, model: ChatModel, params: dict[str, Any], out: Path) -> None:
    """Write `descriptions.jsonl` (kept) and `rejects.jsonl` (with reasons); resumes from a checkpoint."""
    cfg, seed = params["paraphrase"], params["seed"]
    human = human_descriptions(templates)
    state = Checkpoint(CHECKPOINTS / f"paraphrase-{digest([params, model.fingerprint, human])[:16]}.jsonl")
    by_id = {e["id"]: e for e in human}

    def work(key: str) -> list[Record]:
        return list(paraphrase_entry(model, by_id[key], cfg, unit_seed(seed, f"{key}:{by_id[key]['text']}")))

    results = run_resumable(state, list(by_id), work, "paraphrase")
    kept = human + [r for r in results if "reject" not in r]
    rejects = [r for r in results if "reject" in r]
    reasons = Counter(r["reject"] for r in rejects)
    counts = {
        "human": len(human),
        "llm_kept": len(kept) - len(human),
        "llm_rejected": len(rejects),
        "reject_reasons": dict(reasons),
    }
    files = {"descriptions.jsonl": sorted(kept, key=lambda r: r["id"]), "rejects.jsonl": rejects}
    publish(out, "paraphrase", files, params, counts, model=model.fingerprint)
    state.clear()
    summary = f"{len(human)} human descriptions, {counts['llm_kept']} paraphrases kept, {len(rejects)} rejected"
    print(f"[paraphrase] {summary} ({top_reasons(reasons)})")


def load_pool(path: Path) -> dict[tuple[str, str, str], list[Record]]:
    """Descriptions grouped by (lang, task, subtask)."""
    pool: dict[tuple[str, str, str], list[Record]] = {}
    for rec in read_jsonl(path):
        pool.setdefault((rec["lang"], rec["task"], rec["subtask"]), []).append(rec)
    return pool
