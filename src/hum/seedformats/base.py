"""What every loader yields, a row or the error that keeps it from being read, and reading whole JSON documents."""

from __future__ import annotations

import json
from typing import Any

from hum.errors import HumInputError
from hum.io import Record, text_lines
from hum.storage import Location

Located = tuple[str, Record | HumInputError]  # a row, or the error of a row that could not be read


def json_text(path: Location) -> str:
    """A whole file's text for one JSON document, BOM dropped; the first line with bad bytes raises."""
    parts = []
    for _, line in text_lines(path):
        if isinstance(line, HumInputError):
            raise line
        parts.append(line)
    return "".join(parts)


def json_document(path: Location) -> Any:
    """A whole JSON document; bad bytes or a syntax error raise, placed on their line."""
    text = json_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise malformed(path, exc) from exc


def malformed(path: Location, exc: json.JSONDecodeError) -> HumInputError:
    """A JSON syntax error, placed on its line."""
    return HumInputError(path, f"line {exc.lineno}", "<json>", f"malformed JSON: {exc.msg}")
