"""A preference rule: a convention the instruction states and the rendered answer obeys."""

from __future__ import annotations

from typing import ClassVar

from hum.tasks.base import Query, Row


class Rule:
    """Base class: rules of one `family` exclude each other; `apply` makes gold rows obey the rule.

    What a rule says is data: its phrasings live in `data/templates/rules/<family>.yaml` and may name the
    values `slots` gives. Rules apply in the order of their family's `rank` (lowest first), so a new
    family only picks a rank; `excludes` names families this rule is never stated together with.
    """

    id: ClassVar[str]
    family: ClassVar[str]
    rank: ClassVar[int]  # where the family applies: every rule of a family shares it, families never do
    tasks: ClassVar[frozenset[str] | None] = None
    states_empty: ClassVar[bool] = False  # the rule states an empty-result form (its phrasings pool the forms)
    excludes: ClassVar[frozenset[str]] = frozenset()  # families whose rules would make this one ill-defined

    def applies(self, query: Query) -> bool:
        """Whether stating this rule makes sense for `query` (never outside `tasks`)."""
        return self.tasks is None or query.task in self.tasks

    def admits(self, task: str) -> bool:
        """Whether a query of `task` may state this rule at all: `tasks` bounds where it applies, `applies` says per query."""
        return self.tasks is None or task in self.tasks

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        """Gold rows rewritten to obey the rule (identity for rules that only make a convention explicit)."""
        return rows

    def slots(self, query: Query, lang: str) -> dict[str, str]:
        """Values the rule's phrasings name (e.g. `{k}`), derived from `query` alone so they match `apply`."""
        return {}

    def columns(self, columns: tuple[str, ...]) -> tuple[str, ...]:
        """The answer's columns once the rule has applied (identity unless the rule adds fields)."""
        return columns


SPAN_TASKS = frozenset({"ner", "re", "ee", "mrc"})  # open-IE tuples are not always verbatim spans
LIST_TASKS = frozenset({"ner", "re", "ee", "oie", "cls"})
TEXT_ORDER_TASKS = LIST_TASKS - {"cls", "oie"}  # gold rows in text order (open-IE keeps annotation order)
