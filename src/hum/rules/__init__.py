"""Rule registry: a new rule is one class (with its family's `rank`) plus one line in `RULES`.

Rules apply to gold rows in family order, lowest `rank` first; `FAMILY_ORDER` is derived from the ranks.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from hum.rules.base import Rule
from hum.rules.casing import LabelsLower, LabelsUpper
from hum.rules.duplicates import DuplicatesAll, DuplicatesOnce
from hum.rules.empty import EmptyNA, EmptyNone, EmptySentence
from hum.rules.limit import LimitFirst
from hum.rules.mrc_span import MrcSentence, MrcShortest
from hum.rules.nested import NestedAll, NestedOutermost
from hum.rules.offsets import OffsetsChar
from hum.rules.order import OrderAlpha, OrderByLabel, OrderText
from hum.rules.reason import LabelOnly, LabelReason
from hum.rules.subset import LabelsSubset
from hum.rules.verbatim import AnswerOnly, Verbatim
from hum.tasks.base import Query, Row


def _registry(rules: Iterable[Rule]) -> tuple[dict[str, Rule], tuple[str, ...]]:
    """Rules by id and families by rank; an inconsistent registry fails at import, not mid-generation."""
    by_id: dict[str, Rule] = {}
    ranks: dict[str, int] = {}
    for rule in rules:
        if rule.id in by_id:
            raise ValueError(f"rule {rule.id!r} is registered twice")
        by_id[rule.id] = rule
        if ranks.setdefault(rule.family, rule.rank) != rule.rank:
            raise ValueError(f"rule {rule.id!r}: family {rule.family!r} has rank {ranks[rule.family]}, not {rule.rank}")
    order = tuple(sorted(ranks, key=ranks.__getitem__))
    if len(set(ranks.values())) != len(ranks):
        raise ValueError(f"two families share a rank: {ranks}")
    for rule in by_id.values():
        if unknown := rule.excludes - ranks.keys():
            raise ValueError(f"rule {rule.id!r} excludes unknown families {sorted(unknown)}")
    return by_id, order


RULES, FAMILY_ORDER = _registry(
    (
        OffsetsChar(),
        NestedOutermost(),
        NestedAll(),
        LabelsSubset(),
        DuplicatesOnce(),
        DuplicatesAll(),
        LimitFirst(),
        OrderText(),
        OrderAlpha(),
        OrderByLabel(),
        LabelsLower(),
        LabelsUpper(),
        MrcSentence(),
        MrcShortest(),
        LabelReason(),
        LabelOnly(),
        EmptyNone(),
        EmptyNA(),
        EmptySentence(),
        Verbatim(),
        AnswerOnly(),
    )
)


def conflict(a: Rule, b: Rule) -> bool:
    """Whether two rules may not be stated together: one family, or either excludes the other's family."""
    return a.family == b.family or a.family in b.excludes or b.family in a.excludes


def pick_rules(query: Query, rng: random.Random, most: int) -> list[str]:
    """Up to `most` applicable, mutually compatible rules, at most one per family (sorted ids).

    One draw from `rng` seeds a private RNG per family (seeded by the draw and the family's name), which
    gives the family a priority and an order of its applicable rules. Families are taken by priority; a
    family's first rule compatible with those already taken is chosen (none: the family is skipped).
    So a family or rule that does not apply to `query` changes nothing: registering one never shifts
    the draws of queries it does not apply to, and the caller's `rng` always advances by one draw.
    """
    seed = rng.getrandbits(64)
    candidates: dict[str, list[Rule]] = {}
    for rule in sorted(RULES.values(), key=lambda r: r.id):
        if rule.applies(query):
            candidates.setdefault(rule.family, []).append(rule)
    draws: list[tuple[float, str, list[Rule]]] = []
    for family, rules in sorted(candidates.items()):
        family_rng = random.Random(f"{seed}:{family}")
        priority = family_rng.random()
        family_rng.shuffle(rules)
        draws.append((priority, family, rules))
    chosen: list[Rule] = []
    for _, _, rules in sorted(draws, key=lambda d: d[:2]):
        if len(chosen) >= most:
            break
        pick = next((r for r in rules if not any(conflict(r, c) for c in chosen)), None)
        if pick is not None:
            chosen.append(pick)
    return sorted(r.id for r in chosen)


def _in_order(rule_ids: Iterable[str]) -> list[Rule]:
    """The rules of `rule_ids` in application order (lowest family rank first)."""
    return sorted((RULES[r] for r in rule_ids), key=lambda r: r.rank)


def apply_rules(rule_ids: Iterable[str], query: Query) -> list[Row]:
    """Gold rows after every rule, in family order whatever order the ids come in."""
    rows = list(query.rows)
    for rule in _in_order(rule_ids):
        rows = rule.apply(rows, query)
    return rows


def rule_columns(rule_ids: Iterable[str], columns: tuple[str, ...]) -> tuple[str, ...]:
    """The answer's columns after every rule (in family order): `columns` plus any fields rules add."""
    for rule in _in_order(rule_ids):
        columns = rule.columns(columns)
    return columns


__all__ = ["FAMILY_ORDER", "RULES", "Rule", "apply_rules", "conflict", "pick_rules", "rule_columns"]
