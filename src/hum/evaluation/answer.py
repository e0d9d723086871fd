"""What a record's answer says, rebuilt from its meta, and rows put in the form in which they are compared.

`meta.gold` and `meta.columns` are the query's, before the instruction's rules: a rule may drop rows (subset, limit,
nested, duplicates), rewrite them (casing, the MRC sentence) or add columns (offsets, a reason). The expected answer is
therefore the query rebuilt from meta with the same rules applied, exactly as generation rendered it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hum.answers import query_of
from hum.rules import apply_rules, rule_columns
from hum.tasks.base import Row


def answer_columns(meta: Mapping[str, Any]) -> tuple[str, ...]:
    """The columns the answer is written in: the query's plus any a rule adds (offsets, a reason)."""
    return rule_columns(meta["rules"], tuple(meta["columns"]))


def gold_rows(meta: Mapping[str, Any]) -> list[Row]:
    """The rows of the expected answer: the query's gold rows after the instruction's rules."""
    return apply_rules(meta["rules"], query_of(meta))


def project(rows: list[Row], columns: tuple[str, ...], names: tuple[str, ...]) -> list[Row]:
    """The values of the columns `names` of each row (extra columns such as offsets or a reason are not scored)."""
    index = [columns.index(n) for n in names]
    return [tuple(r[i] for i in index) for r in rows]


def normal(value: str, label: bool) -> str:
    """A value as compared: whitespace collapsed; a label (type, relation, role) also case-folded, as casing rules change it."""
    collapsed = " ".join(value.split())
    return collapsed.casefold() if label else collapsed


def distinct(rows: list[Row], columns: tuple[str, ...], names: tuple[str, ...], label_column: str | None) -> list[Row]:
    """The normalised rows over the columns `names`, each once (set semantics), in the order given."""
    labels = [n == label_column for n in names]
    return list(dict.fromkeys(tuple(map(normal, r, labels)) for r in project(rows, columns, names)))


def keys(rows: list[Row], columns: tuple[str, ...], names: tuple[str, ...], label_column: str | None) -> set[Row]:
    """The normalised rows over the columns `names`, as a set."""
    return set(distinct(rows, columns, names, label_column))
