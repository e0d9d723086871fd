"""Guideline drafts: the LLM defines the labels that lack a guideline; checked drafts wait for `hum review`.

The evidence a reviewer sees (examples of the label, and texts of other labels it is not) is quoted from
the prepared training data, never written by the LLM (`evidence`). The LLM writes only the definition, its
paraphrases and optional include/exclude notes (`prompts`, `cleaning`), and each of those texts is kept only
if it passes `reject_reason` (`checks`). A draft a person accepts becomes an entry of a versioned guideline
file (`adopt`), so generation states it from then on; until then it is a proposal, as LLM paraphrases of task
descriptions are.
"""

from __future__ import annotations

from hum.drafts.adoption import NEW_FILE, adopt
from hum.drafts.checks import reject_reason
from hum.drafts.cleaning import clean
from hum.drafts.evidence import mentions
from hum.drafts.job import Job
from hum.drafts.planning import DraftError, plan
from hum.drafts.prompts import messages
from hum.drafts.run import draft_guidelines

__all__ = [
    "NEW_FILE",
    "DraftError",
    "Job",
    "adopt",
    "clean",
    "draft_guidelines",
    "mentions",
    "messages",
    "plan",
    "reject_reason",
]
