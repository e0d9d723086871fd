"""Read seed files in the formats people have them in; each row comes with where it was found."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hum.errors import HumInputError
from hum.io import Record, iter_lines, read_jsonl_numbered

Located = tuple[str, Record]


def jsonl(path: Path, **_: Any) -> Iterator[Located]:
    """JSON lines: one object per line."""
    for lineno, row in read_jsonl_numbered(path):
        yield f"line {lineno}", row


def conll(path: Path, **_: Any) -> Iterator[Located]:
    """CoNLL columns (token, tag), blank line between sentences."""
    tokens: list[str] = []
    tags: list[str] = []
    start = 1
    for lineno, line in enumerate(iter_lines(path), start=1):
        cols = line.rstrip("\n").split("\t") if "\t" in line else line.split()
        if not line.strip():
            if tokens:
                yield f"line {start}", {"tokens": tokens, "tags": tags}
            tokens, tags, start = [], [], lineno + 1
            continue
        if len(cols) < 2:  # noqa: PLR2004
            raise HumInputError(path, f"line {lineno}", "tags", "expected a token and a tag separated by a tab")
        tokens.append(cols[0])
        tags.append(cols[-1].strip())
    if tokens:
        yield f"line {start}", {"tokens": tokens, "tags": tags}


def delimited(path: Path, delimiter: str = ",", **_: Any) -> Iterator[Located]:
    """CSV or TSV with a header row."""
    reader = csv.DictReader(iter_lines(path), delimiter=delimiter)
    for row in reader:
        yield f"line {reader.line_num}", dict(row)


def squad(path: Path, **_: Any) -> Iterator[Located]:
    """SQuAD-style nested JSON: data > paragraphs > qas."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError) as exc:
        raise HumInputError(path, "file", "data", f"not SQuAD JSON ({exc})") from exc
    for a, article in enumerate(data):
        for p, para in enumerate(article["paragraphs"]):
            for q, qa in enumerate(para["qas"]):
                row = {"id": qa["id"], "title": article.get("title", ""), "context": para["context"], **qa}
                yield f"data[{a}].paragraphs[{p}].qas[{q}]", row


LOADERS: dict[str, Callable[..., Iterator[Located]]] = {
    "jsonl": jsonl,
    "conll": conll,
    "csv": delimited,
    "squad": squad,
}


def load(loader: str, path: str | Path, options: dict[str, Any] | None = None) -> Iterator[Located]:
    """Rows of one seed file with their locations."""
    if loader not in LOADERS:
        raise ValueError(f"unknown loader {loader!r}; choose one of {sorted(LOADERS)}")
    return LOADERS[loader](Path(path), **(options or {}))
