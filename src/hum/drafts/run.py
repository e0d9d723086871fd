"""A drafting run: every label that lacks a guideline, drafted in turn into the drafts file and its rejects file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hum.drafts.drafting import draft
from hum.drafts.job import draft_key
from hum.drafts.planning import plan
from hum.guidelines import load_guidelines
from hum.io import Record, read_jsonl, write_jsonl
from hum.llm.base import ChatModel
from hum.review import load_decisions
from hum.step import top_reasons


def draft_guidelines(
    make_model: Callable[[], ChatModel],
    *,
    prepared: Path,
    guidelines: Path,
    out: Path,
    reviews: Path,
    params: dict[str, Any],
    datasets: list[str] | None = None,
    limit: int | None = None,
    redo: bool = False,
    say: Callable[[str], None] = print,
) -> str:
    """Draft the labels that lack a guideline into `out`, their rejected texts into `*.rejects.jsonl`; the summary line.

    The model is made only when a label needs drafting. Drafts of other labels stay in `out`; a redrafted
    label's pending draft stays too, as `superseded`, so later redrafts keep drawing new seeds.
    """
    guides = load_guidelines(guidelines)
    drafts = list(read_jsonl(out)) if out.exists() else []
    jobs, skipped = plan(prepared, guides, drafts, load_decisions(reviews), params, datasets=datasets, redo=redo)
    for key in skipped:
        say(f"{key}: a draft is pending review (hum review --kind guideline); --redo drafts it again")
    jobs = jobs[:limit] if limit is not None else jobs
    if not jobs:
        return "drafted 0 guidelines, 0 rejected: every label has a guideline or a draft pending review"
    model = make_model()
    others = [text for d in drafts for text in definitions(d)]
    others += [(key, e["definition"]) for g in guides for key, e in g.entries.items()]
    new: dict[str, Record] = {}
    rejects: list[Record] = []
    failed: Counter[str] = Counter()
    for pos, job in enumerate(jobs, 1):
        same = {job.name.casefold(), *job.aliases}  # the label's own definitions elsewhere are not another label's
        record, rejected = draft(model, job, [o for o in others if o[0].casefold() not in same])
        rejects += rejected
        if record is None:
            failed.update(r["reject"] for r in rejected if r["field"] == "definition")
        else:
            new[job.key] = record
            others += definitions(record)
        say(f"[{pos}/{len(jobs)}] {job.key}: {outcome(record, rejected)}")
    save(out, drafts, new, rejects)
    detail = f" ({top_reasons(failed)})" if failed else ""
    return f"drafted {len(new)} guidelines, {len(jobs) - len(new)} rejected{detail}"


def definitions(draft: Record) -> list[tuple[str, str]]:
    """(label, text) of a draft's definition and paraphrases: what the drafts of other labels must not copy."""
    return [(draft["label"], text) for text in (draft["definition"], *draft["paraphrases"])]


def outcome(record: Record | None, rejected: list[Record]) -> str:
    """How one label's draft went, for the progress line: its texts and definition, or why each text failed."""
    if record is None:
        return f"rejected ({'; '.join(r['reject'] for r in rejected)})"
    notes = [n for n in ("include", "exclude") if record[n]]
    detail = f"{len(record['paraphrases'])} paraphrases" + "".join(f", {n}" for n in notes)
    return f"drafted ({detail}): {record['definition']}"


def save(out: Path, drafts: list[Record], new: dict[str, Record], rejects: list[Record]) -> None:
    """Write the drafts sorted by id (a redrafted label's pending draft marked superseded) and this run's rejects."""
    kept = [
        d | {"status": "superseded"} if draft_key(d["dataset"], d["label"]) in new and d.get("status") == "proposed" else d
        for d in drafts
    ]
    write_jsonl(out, sorted({d["id"]: d for d in [*kept, *new.values()]}.values(), key=lambda d: str(d["id"])))
    write_jsonl(out.with_name(out.name.removesuffix(".jsonl") + ".rejects.jsonl"), rejects)
