"""Rule registry: a new rule is one class (with its family's `rank`) plus one line in `RULES`.

Rules apply to gold rows in family order, lowest `rank` first; `FAMILY_ORDER` is derived from the ranks.
Generation states only the rules `generate.rules` lists (like `generate.formats`), and its phrasings are
data: `data/templates/rules/<family>.yaml`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from hum.draws import Draws
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
    """Whether two rules may not be stated together: one family, either excludes the other's, or both state an empty form."""
    return a.family == b.family or a.family in b.excludes or b.family in a.excludes or (a.states_empty and b.states_empty)


def for_task(rule_ids: Iterable[str], task: str) -> tuple[str, ...]:
    """The rules of `rule_ids` that may apply to a query of `task` (sorted ids): the only ones `pick_rules` need ask about it.

    Worked out once per task (and format), not per query.
    """
    return tuple(sorted(r for r in rule_ids if RULES[r].admits(task)))


def pick_rules(query: Query, draws: Draws, most: int, allowed: Collection[str] | None = None) -> list[str]:
    """Up to `most` applicable, mutually compatible rules of `allowed` (default: all), at most one per family (sorted ids).

    Every family and every rule has its own priority, a weight keyed by its name alone: families are taken
    by priority, each with its first rule (by priority) compatible with those already taken, or none. So a
    rule or family that is not chosen changes nothing, and registering one changes only the draws it wins.
    """
    candidates: dict[str, list[Rule]] = {}
    for rule in RULES.values() if allowed is None else [RULES[r] for r in allowed if r in RULES]:
        if rule.applies(query):
            candidates.setdefault(rule.family, []).append(rule)
    chosen = _Chosen()
    for family in draws.order("rules:family", candidates):
        if len(chosen.rules) >= most:
            break
        ranked = draws.order("rules:rule", candidates[family], key=lambda r: r.id)
        pick = next((r for r in ranked if chosen.admits(r)), None)
        if pick is not None:
            chosen.add(pick)
    return sorted(r.id for r in chosen.rules)


@dataclass
class _Chosen:
    """The rules `pick_rules` has taken, summed up so that whether a rule `conflict`s with any of them is a few lookups."""

    rules: list[Rule] = field(default_factory=list)
    families: set[str] = field(default_factory=set)
    barred: set[str] = field(default_factory=set)  # the families some taken rule excludes
    empty: bool = False  # whether a taken rule states an empty form

    def admits(self, rule: Rule) -> bool:
        """`not any(conflict(rule, taken) for taken in self.rules)`, without asking each in turn."""
        clash = rule.family in self.families or rule.family in self.barred or not self.families.isdisjoint(rule.excludes)
        return not (clash or (rule.states_empty and self.empty))

    def add(self, rule: Rule) -> None:
        self.rules.append(rule)
        self.families.add(rule.family)
        self.barred |= rule.excludes
        self.empty = self.empty or rule.states_empty


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


__all__ = ["FAMILY_ORDER", "RULES", "Rule", "apply_rules", "conflict", "for_task", "pick_rules", "rule_columns"]
