"""The draft of one label: ask the LLM for each of its texts, keep those that pass the checks, record the rest."""

from __future__ import annotations

import hashlib

from hum.checkpoint import unit_seed
from hum.drafts.checks import reject_reason
from hum.drafts.cleaning import clean
from hum.drafts.job import KIND, Job
from hum.drafts.prompts import messages
from hum.io import Record
from hum.llm.base import ChatModel

ATTEMPTS = 3  # definition attempts per label, each with a seed of its own
PARAPHRASES = 2
TEMPERATURE, MAX_TOKENS = 0.7, 80


def draft(model: ChatModel, job: Job, others: list[tuple[str, str]]) -> tuple[Record | None, list[Record]]:
    """The checked draft of one label (None when no definition passed in ATTEMPTS tries) and each rejected text."""
    rejects: list[Record] = []
    kept: list[str] = []

    def ask(field: str, attempt: int) -> str | None:
        sent = messages(job, field, kept[0] if kept else "")
        seed = unit_seed(job.seed, f"{field}:{len(job.earlier)}:{attempt}")  # a redraft draws new seeds
        reply = model.chat(sent, seed=seed, temperature=TEMPERATURE, max_tokens=MAX_TOKENS)
        text = clean(reply, job.name)
        reason = reject_reason(text, job, field, prompt="\n".join(m["content"] for m in sent), kept=kept, others=others)
        if reason is None:
            kept.append(text)
            return text
        where = {"id": job.key, "dataset": job.dataset, "label": job.name, "field": field, "attempt": attempt, "seed": seed}
        rejects.append(where | {"text": text, "reply": reply, "reject": reason})
        return None

    definition = None
    for attempt in range(ATTEMPTS):
        if definition := ask("definition", attempt):
            break
    if definition is None:
        return None, rejects
    paraphrases = [p for i in range(PARAPHRASES) if (p := ask("paraphrase", i))]
    texts = {"definition": definition, "paraphrases": paraphrases, "include": ask("include", 0), "exclude": ask("exclude", 0)}
    return draft_record(job, model.fingerprint, texts), rejects


def draft_record(job: Job, model: str, texts: Record) -> Record:
    """A proposal for `hum review`: the kept texts between what places the label and what shows its evidence."""
    return {
        "id": f"{job.key}~{hashlib.sha256(texts['definition'].encode()).hexdigest()[:10]}",
        "kind": KIND,
        "lang": job.lang,
        "task": job.task,
        "dataset": job.dataset,
        "label": job.name,
        **texts,
        "examples": list(job.positives),
        "negatives": list(job.negatives),
        "source": "llm",
        "model": model,
        "status": "proposed",
    }
