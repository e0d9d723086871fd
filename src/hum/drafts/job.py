"""One label to draft: the evidence shown to the LLM and the reviewer, and what its texts must not copy."""

from __future__ import annotations

from dataclasses import dataclass

from hum.guidelines import ROLE

KIND = "guideline"


@dataclass(frozen=True)
class Job:
    """One label to draft, with its evidence from the data and the texts its own texts must not copy."""

    dataset: str
    lang: str
    task: str
    label: str  # as the dataset's label set spells it (event roles keep their `role:` prefix)
    positives: tuple[str, ...]
    negatives: tuple[str, ...]
    aliases: tuple[str, ...]  # other names of the label in any guideline file, for the mention check
    earlier: tuple[str, ...]  # definitions of earlier drafts of this label: a redraft must differ
    seed: int

    @property
    def name(self) -> str:
        """The label as a guideline file keys it (event roles without their prefix)."""
        return self.label.removeprefix(ROLE)

    @property
    def key(self) -> str:
        """What every draft of this label shares: the prefix of its id."""
        return draft_key(self.dataset, self.name)


def draft_key(dataset: str, label: str) -> str:
    """`guideline:<dataset>:<label>`: the label's seed key and the prefix of its drafts' ids."""
    return f"{KIND}:{dataset}:{label}"
