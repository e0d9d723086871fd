"""Span order: text order, alphabetical, or grouped by label in schema order."""

from __future__ import annotations

from hum.rules.base import LIST_TASKS, Rule
from hum.tasks.base import Query, Row


class OrderText(Rule):
    """Gold rows already come in text order."""

    id = "order:text"
    family = "order"
    tasks = LIST_TASKS - {"cls", "oie"}  # open-IE gold keeps annotation order, not text order
    text = {
        "en": "List the results in the order in which they appear in the text.",
        "zh": "请按照结果在文本中出现的先后顺序列出。",
    }


class OrderAlpha(Rule):
    """Case-insensitive alphabetical order of the whole item."""

    id = "order:alpha"
    family = "order"
    tasks = LIST_TASKS
    text = {"en": "Sort the results alphabetically.", "zh": "请将结果按字母顺序排列。"}

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        return sorted(rows, key=lambda r: tuple(v.casefold() for v in r))


class OrderByLabel(Rule):
    """Stable sort by the label's position in the stated schema."""

    id = "order:label"
    family = "order"
    tasks = LIST_TASKS - {"cls"}
    text = {
        "en": "Group the results by label, following the order in which the labels are listed.",
        "zh": "请按标签分组列出结果，标签顺序与给出的标签列表一致。",
    }

    def applies(self, query: Query) -> bool:
        return super().applies(query) and query.label_column is not None

    def apply(self, rows: list[Row], query: Query) -> list[Row]:
        col = query.columns.index(str(query.label_column))
        rank = {lab.casefold(): i for i, lab in enumerate(query.labels)}
        return sorted(rows, key=lambda r: rank[r[col].casefold()])
