"""Rule registry; rules apply to gold rows in the order of `FAMILY_ORDER`."""

from __future__ import annotations

from hum.rules.base import Rule
from hum.rules.casing import LabelsLower, LabelsUpper
from hum.rules.duplicates import DuplicatesAll, DuplicatesOnce
from hum.rules.empty import EmptyNA, EmptyNone, EmptySentence
from hum.rules.nested import NestedAll, NestedOutermost
from hum.rules.order import OrderAlpha, OrderByLabel, OrderText
from hum.rules.verbatim import AnswerOnly, Verbatim
from hum.tasks.base import Query, Row

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        EmptyNone(),
        EmptyNA(),
        EmptySentence(),
        OrderText(),
        OrderAlpha(),
        OrderByLabel(),
        DuplicatesOnce(),
        DuplicatesAll(),
        LabelsLower(),
        LabelsUpper(),
        Verbatim(),
        AnswerOnly(),
        NestedOutermost(),
        NestedAll(),
    )
}
FAMILY_ORDER = ("nested", "duplicates", "order", "casing", "empty", "verbatim", "answer_only")


def apply_rules(rule_ids: list[str], query: Query) -> tuple[list[Row], str | None]:
    """Gold rows after every rule, and the empty-result form a rule states (if any)."""
    rules = sorted((RULES[r] for r in rule_ids), key=lambda r: FAMILY_ORDER.index(r.family))
    rows, empty = list(query.rows), None
    for rule in rules:
        rows = rule.apply(rows, query)
        empty = rule.empty or empty
    return rows, empty


__all__ = ["FAMILY_ORDER", "RULES", "Rule", "apply_rules"]
