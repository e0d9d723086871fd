"""Which labels a drafting run drafts: those that the guideline file their dataset uses has no entry for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hum.checkpoint import unit_seed
from hum.drafts.evidence import aliases_of, evidence, quotes_by_label
from hum.drafts.job import KIND, Job, draft_key
from hum.guidelines import ROLE, Guideline, guideline_for
from hum.io import Record, read_jsonl
from hum.prepare import load_labelsets
from hum.review import pending


class DraftError(ValueError):
    """A draft run asked for something the prepared data does not have (an unknown dataset)."""


def guideline_home(
    dataset: str, labelset: list[str], lang: str, guides: list[Guideline], min_coverage: float
) -> Guideline | None:
    """The file a dataset's drafts fill: the one generation uses for its label set, else the dataset's own file.

    The own file (`<dataset>.yaml`) counts even below `min_coverage`, so labels accepted into it are not drafted again.
    """
    found = guideline_for(labelset, lang, guides, min_coverage)
    return found or next((g for g in guides if g.name == dataset and g.lang == lang), None)


def earlier_definitions(drafts: list[Record]) -> dict[str, list[str]]:
    """The definitions of every earlier draft of each label, by draft key: a redraft must differ from them."""
    earlier: dict[str, list[str]] = {}
    for d in drafts:
        earlier.setdefault(draft_key(d["dataset"], d["label"]), []).append(d["definition"])
    return earlier


def plan(
    prepared: Path,
    guides: list[Guideline],
    drafts: list[Record],
    decisions: list[Record],
    params: dict[str, Any],
    *,
    datasets: list[str] | None = None,
    redo: bool = False,
) -> tuple[list[Job], list[str]]:
    """The labels to draft, dataset by dataset in label-set order; and the keys skipped because a draft is pending.

    A label needs a draft when the file generation would use for its dataset (or the dataset's own file) has
    no entry for it, by name or alias.
    """
    labelsets = load_labelsets(prepared)
    unknown = sorted(set(datasets or []) - set(labelsets))
    if unknown:
        raise DraftError(f"no prepared label set for {', '.join(unknown)} in {prepared} (known: {', '.join(labelsets)})")
    waiting = {draft_key(d["dataset"], d["label"]) for d in pending(drafts, decisions, KIND)}
    earlier = earlier_definitions(drafts)
    min_coverage = params["generate"]["guidelines"]["min_coverage"]
    jobs, skipped, seen = [], [], set()
    for dataset in datasets or list(labelsets):
        path, labelset = prepared / f"{dataset}.train.jsonl", labelsets[dataset]
        records = list(read_jsonl(path)) if path.exists() and labelset else []
        if not records:
            continue
        lang, task = records[0]["lang"], records[0]["task"]
        home = guideline_home(dataset, labelset, lang, guides, min_coverage)
        quotes = quotes_by_label(records)
        for label in labelset:
            key = draft_key(dataset, label.removeprefix(ROLE))
            if key in seen or (home is not None and home.entry(label) is not None):
                continue
            seen.add(key)
            if key in waiting and not redo:
                skipped.append(key)
                continue
            positives, negatives = evidence(label, labelset, quotes, home, task)
            before, seed = tuple(earlier.get(key, [])), unit_seed(params["seed"], key)
            job = Job(dataset, lang, task, label, tuple(positives), tuple(negatives), aliases_of(label, guides), before, seed)
            jobs.append(job)
    return jobs, skipped
