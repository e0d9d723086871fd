"""Sentences, one per item: `The type is "person" and the entity is "Ann".`, values double-quoted with backslash escapes."""

from __future__ import annotations

import re

from hum.formats.base import Format
from hum.formats.escapes import escape, field, item_lines, unescape
from hum.tasks.base import Row


def _sentence(columns: tuple[str, ...], values: tuple[str, ...]) -> str:
    """The fixed wording: clauses `the <column> is "<value>"`, joined by commas and a final "and"."""
    clauses = [f'the {c.replace("_", " ")} is "{v}"' for c, v in zip(columns, values, strict=True)]
    body = clauses[-1] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and " + clauses[-1]
    return body[0].upper() + body[1:] + "."


class Sentences(Format):
    """Natural-language answers whose wording is built from the column names alone, so a regex reads them back."""

    name = "sentences"

    def slots(self, columns: tuple[str, ...]) -> dict[str, str]:
        return {**super().slots(columns), "pattern": _sentence(columns, tuple("..." for _ in columns))}

    def _render(self, rows: list[Row], columns: tuple[str, ...]) -> str:
        return "\n".join(_sentence(columns, tuple(escape(v, '"') for v in r)) for r in rows)

    def _parse(self, text: str, columns: tuple[str, ...]) -> list[Row]:
        item = re.compile(re.escape(_sentence(columns, tuple("\0" for _ in columns))).replace("\0", field('"')))
        error = f"sentences: each line must read {self.slots(columns)['pattern']}"
        return [tuple(unescape(v) for v in match.groups()) for match in item_lines(text, item, error)]
