"""A preference rule: a convention the instruction states and the rendered answer obeys."""

from __future__ import annotations

from typing import ClassVar

from hum.tasks.base import Query, Row


class Rule:
    """Base class: rules of one `family` exclude each other; `apply` makes gold rows obey the rule."""

    id: ClassVar[str]
    family: ClassVar[str]
    tasks: ClassVar[frozenset[str] | None] = None
    text: ClassVar[dict[str, str]]
    empty: ClassVar[str | None] = None

    def applies(self, query: Query) -> bool:
        """Whether stating this rule makes sense for `query`."""
        return self.tasks is None or query.task in self.tasks

    def describe(self, lang: str) -> str:
        """The sentence the instruction states."""
        return self.text[lang]

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        """Gold rows rewritten to obey the rule (identity for rules that only make a convention explicit)."""
        return rows


SPAN_TASKS = frozenset({"ner", "re", "ee", "mrc"})  # open-IE tuples are not always verbatim spans
LIST_TASKS = frozenset({"ner", "re", "ee", "oie", "cls"})
