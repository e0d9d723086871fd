"""Accepted label guidelines: human-edited YAML under version control, keyed by label set, not by dataset.

A guideline file declares its language and its labels, each with a definition (and optional paraphrases
of it, notes and examples) and aliases such as `PER` for `person`. Every dataset whose labels a file
covers uses it, so a new dataset with known labels gets guidelines without any configuration.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hum.draws import Draws
from hum.phrasing import Phrasings

ROLE = "role:"  # event roles share a dataset's label set with event types (see hum.tasks.event)
EXAMPLE_SEP = {"en": "; ", "zh": "；"}


@dataclass(frozen=True)
class Guideline:
    """One label set's guidelines in one language, with every name a label may go by."""

    name: str
    lang: str
    entries: dict[str, dict[str, Any]]
    names: dict[str, str]  # casefolded label or alias -> entry key

    def entry(self, label: str) -> dict[str, Any] | None:
        """The entry for a dataset label (by name or alias, case-blind; event roles without their prefix)."""
        key = self.names.get(label.removeprefix(ROLE).casefold())
        return None if key is None else self.entries[key]


def _guideline(path: Path) -> Guideline:
    tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = tree.get("labels")
    if not isinstance(entries, dict) or not isinstance(tree.get("lang"), str):
        raise ValueError(f"{path}: a guideline file needs 'lang' and a 'labels' mapping")  # noqa: TRY004 - bad data, not a bad call
    names: dict[str, str] = {}
    for key, entry in entries.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("definition"), str):
            raise ValueError(f"{path}: label '{key}': field 'definition': missing or not text")  # noqa: TRY004 - bad data
        for name in [key, *entry.get("aliases", [])]:
            names.setdefault(str(name).casefold(), key)
    return Guideline(path.stem, tree["lang"], entries, names)


def load_guidelines(folder: str | Path) -> list[Guideline]:
    """Every `*.yaml` guideline file in `folder`, in name order."""
    return [_guideline(p) for p in sorted(Path(folder).glob("*.yaml"))]


def guideline_for(labelset: list[str], lang: str, guidelines: list[Guideline], min_coverage: float) -> Guideline | None:
    """The file of `lang` that covers the most of `labelset` (ties by name), if it covers `min_coverage` of it."""
    if not labelset:
        return None
    scored = sorted((-sum(g.entry(lab) is not None for lab in labelset), g.name, g) for g in guidelines if g.lang == lang)
    if not scored or -scored[0][0] < max(1, min_coverage * len(labelset)):
        return None
    return scored[0][2]


def render_guidelines(
    guideline: Guideline, labels: list[str], lang: str, rng: random.Random, *, phrasings: Phrasings, cfg: dict[str, Any]
) -> tuple[str, list[str]]:
    """Guideline lines for the stated labels that have an entry, each kept with `1 - label_dropout`; and their labels.

    A definition is drawn from the definition and its paraphrases, examples are shown with `p_examples`,
    and each line's wording comes from the `guideline` pools of the layouts file. Every draw is keyed by its
    label, so another label stated or a paraphrase added leaves the other labels' lines as they were.
    """
    draws = Draws.from_rng(rng)
    lines, used = [], []
    for label in labels:
        entry = guideline.entry(label)
        if entry is None or draws.chance("dropout", cfg["label_dropout"], label):
            continue
        definition = draws.pick(f"definition:{label}", [entry["definition"], *entry.get("paraphrases", [])])
        examples = entry.get("examples", []) if draws.chance("examples", cfg["p_examples"], label) else []
        line = phrasings.pick(draws.rng(f"line:{label}"), "guideline", lang, "examples" if examples else "plain")
        lines.append(line.text.format(label=label, definition=definition, examples=EXAMPLE_SEP[lang].join(examples)))
        used.append(label)
    return "\n".join(lines), used
