"""What generation needs to know about a whole dataset: its gold-less share, its passages, its confusable labels.

The empty-answer target is met per dataset: gold-less seeds are kept at the rate that brings their share
down to the target, and seeds with gold aim at an empty answer at the rate that brings it up.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from hum.guidelines import ROLE, Guideline, guideline_for
from hum.io import Record
from hum.tasks import TASKS

NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class SeedStats:
    """One dataset's gold-less share, its distinct passages (MRC negatives) and each label's nearest labels."""

    bare_share: float = 0.0
    passages: list[str] = field(default_factory=list)
    neighbours: dict[str, list[str]] = field(default_factory=dict)


def neighbours(labelset: list[str], guideline: Guideline | None, k: int = 3) -> dict[str, list[str]]:
    """Each label's `k` most similar labels by name and guideline definition: the hard negatives to draw."""
    names = [lab.removeprefix(ROLE) for lab in labelset]
    entries = {n: (guideline.entry(n) if guideline else None) or {} for n in names}
    texts = {n: NON_WORD.sub(" ", f"{n} {entries[n].get('definition', '')}").casefold() for n in names}
    near = {}
    for name in names:
        others = {o: texts[o] for o in names if o != name}
        near[name] = [o for _, _, o in process.extract(texts[name], others, scorer=fuzz.token_set_ratio, limit=k)]
    return near


def seed_stats(
    records: Iterable[Record], labelsets: dict[str, list[str]], guidelines: list[Guideline], min_coverage: float
) -> dict[str, SeedStats]:
    """Statistics of every dataset in one pass over its training records."""
    total, bare, passages, langs = Counter[str](), Counter[str](), dict[str, dict[str, None]](), dict[str, str]()
    for rec in records:
        name = rec["dataset"]
        total[name] += 1
        bare[name] += TASKS[rec["task"]].bare(rec)
        langs.setdefault(name, rec["lang"])
        if rec["task"] == "mrc":
            passages.setdefault(name, {})[rec["text"]] = None
    return {
        name: SeedStats(
            bare[name] / total[name],
            list(passages.get(name, {})),
            neighbours(labelsets[name], guideline_for(labelsets[name], langs[name], guidelines, min_coverage)),
        )
        for name in sorted(total)
    }
