"""What happens to each record, as two int arrays: an action code and the record it refers to.

Exact duplicates and same-message conflicts are decided from the first pass's keys alone, vectorised; the
fuzzy pass (`near`) and the conflict policy fill in the rest before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:  # the passes import the action codes from here (`cluster`, run on workers): no cycle through `scan`
    from hum.dedup.scan import Scan

KEEP, EXACT, NEAR_SAME, NEAR_INPUT, CONFLICT, MERGED = range(6)
REASONS = {
    EXACT: "exact duplicate",
    NEAR_SAME: "near-duplicate instruction over the same input",
    NEAR_INPUT: "near-duplicate input and instruction",
    CONFLICT: "conflicting answer",
    MERGED: "merged into a conflicting record",
}
SAME_MESSAGE, NEAR_INSTRUCTION = "same user message", "same input, near instruction"
Policy = Literal["drop_both", "keep_first", "merge"]
POLICIES: tuple[Policy, ...] = ("drop_both", "keep_first", "merge")


@dataclass(frozen=True)
class Conflict:
    """Two records that ask the same thing and answer differently: `first` precedes `other` in the stream."""

    first: int
    other: int
    kind: str


@dataclass
class Plan:
    """Per record: its action and the index it duplicates or conflicts with (-1 when kept)."""

    action: np.ndarray
    ref: np.ndarray
    conflicts: list[Conflict] = field(default_factory=list)

    def remove(self, index: int, action: int, ref: int) -> None:
        self.action[index], self.ref[index] = action, ref


def exact_plan(scan: Scan) -> Plan:
    """Later exact copies refer to the first; among the rest, one user message with several answers is a conflict."""
    n = len(scan.exact)
    index = np.arange(n, dtype=np.int64)
    _, first, inverse = np.unique(scan.exact, return_index=True, return_inverse=True)
    original = first[inverse]
    plan = Plan(np.where(original == index, KEEP, EXACT).astype(np.int8), np.where(original == index, -1, original))
    live = index[original == index]
    _, first, inverse = np.unique(scan.user[live], return_index=True, return_inverse=True)
    asked_first = live[first[inverse]]
    for one, other in zip(asked_first[asked_first != live].tolist(), live[asked_first != live].tolist(), strict=True):
        plan.remove(other, CONFLICT, one)
        plan.conflicts.append(Conflict(one, other, SAME_MESSAGE))
    return plan


def apply_policy(plan: Plan, policy: Policy) -> None:
    """`drop_both` also removes each conflict's first record (if still kept); the others are removed under every policy.

    `merge` is settled while writing, when the first record's answer is rebuilt (or merge falls back to keep_first).
    """
    if policy not in POLICIES:
        raise ValueError(f"dedup.conflicts must be one of {POLICIES}, not {policy!r}")
    plan.conflicts.sort(key=lambda c: (c.first, c.other))
    for conflict in plan.conflicts:
        if policy == "drop_both" and plan.action[conflict.first] == KEEP:
            plan.remove(conflict.first, CONFLICT, conflict.other)
