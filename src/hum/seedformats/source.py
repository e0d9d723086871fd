"""Where a row's spans lie: character offsets into its text, or token offsets into its tokens.

A row that gives `tokens` counts every offset in tokens, end exclusive. Its text is the tokens joined by the dataset's
`token_sep` (a space; nothing for Chinese and Japanese); when the row gives its text too, each token is found in it
in order instead, so the character offsets are exact whatever spacing the text has. A row without tokens counts in
characters and gives each span's `text`, which the offset checks compare with the text at [start, end).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from hum.io import Record
from hum.seedformats.fields import FieldError, need, offset

_SPACE = re.compile(r"\s*")
NO_SPACES = frozenset({"zh", "ja", "yue"})  # languages written without spaces between words


def token_sep(cfg: dict[str, Any]) -> str:
    """What joins tokens into text: `token_sep` if set, else nothing for Chinese and Japanese and a space otherwise."""
    if "token_sep" in cfg:
        return str(cfg["token_sep"])
    return "" if str(cfg.get("lang", "")).replace("_", "-").split("-")[0].lower() in NO_SPACES else " "


@dataclass(frozen=True)
class Source:
    """A row's text, with its tokens and the character at which each starts when its offsets count tokens."""

    text: str
    tokens: list[str] | None = None
    starts: list[int] | None = None
    sep: str = " "

    @classmethod
    def of(cls, row: Record, cfg: dict[str, Any], text_field: str = "text") -> Source:
        """The source of a row: its tokens (joined, or found in its text) if it gives any, else its text."""
        if "tokens" not in row:
            return cls(_text(need(row, text_field), text_field))
        tokens, sep = _tokens(need(row, "tokens")), token_sep(cfg)
        if row.get(text_field) is None:
            starts = list(accumulate((len(t) + len(sep) for t in tokens[:-1]), initial=0)) if tokens else []
            return cls(sep.join(tokens), tokens, starts, sep)
        text = _text(row[text_field], text_field)
        return cls(text, tokens, _found(tokens, text), sep)

    def token_span(self, start: int, end: int, field: str) -> dict[str, Any]:
        """The character span of tokens [start, end)."""
        tokens, starts = self.tokens or [], self.starts or []
        if not 0 <= start < end <= len(tokens):
            raise FieldError(field, f"token span [{start}, {end}) outside the {len(tokens)} tokens")
        first, last = starts[start], starts[end - 1] + len(tokens[end - 1])
        return {"start": first, "end": last, "text": self.text[first:last]}

    def span(self, item: Any, field: str) -> dict[str, Any]:
        """The span of an item's `start` and `end`: tokens if the row has tokens, else characters with the item's `text`."""
        start, end = need(item, "start", field), need(item, "end", field)
        if self.tokens is not None:
            return self.token_span(offset(start, f"{field}.start"), offset(end, f"{field}.end"), field)
        if not all(type(v) is int for v in (start, end)):
            raise FieldError(field, f"start and end must be integers, got {start!r} and {end!r}")
        return {"start": start, "end": end, "text": _text(need(item, "text", field), f"{field}.text")}

    def spans(self, item: Any, field: str, *, required: bool = False) -> list[dict[str, Any]]:
        """An item's spans: from its `fragments`, or its `start` and `end`; none when it has neither (a bare value).

        A bare value is an error when a span is `required`. Fragments that cover the item's text contiguously ("a"
        and "b" of "a b") are one span; others (an "intravenous ... injection") one span per fragment, so that every
        span is a verbatim piece of the text.
        """
        if not isinstance(item, dict):
            raise FieldError(field, f"expected an object, got {item!r}")
        fragments = item.get("fragments")
        if not fragments and "start" not in item and required:
            raise FieldError(f"{field}.start", "missing")
        if not fragments:
            return [self.span(item, field)] if "start" in item else []
        if not isinstance(fragments, list):
            raise FieldError(f"{field}.fragments", f"expected a list, got {fragments!r}")
        parts = [self.span(f, f"{field}.fragments[{k}]") for k, f in enumerate(fragments)]
        whole = item.get("text") if isinstance(item.get("text"), str) else self.sep.join(p["text"] for p in parts)
        first, last = min(p["start"] for p in parts), max(p["end"] for p in parts)
        return [{"start": first, "end": last, "text": whole}] if self.text[first:last] == whole else parts


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise FieldError(field, f"expected text, got {value!r}")
    return value


def _tokens(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise FieldError("tokens", f"expected a list of tokens, got {value!r}")
    for i, tok in enumerate(value):
        _text(tok, f"tokens[{i}]")
    return value


def _found(tokens: list[str], text: str) -> list[int]:
    """Where each token starts in `text`: right after the previous one, or after whitespace; anything else is an error.

    A token that is whitespace itself (a no-break space) is looked for inside the whitespace it stands in.
    """
    starts, pos = [], 0
    for i, tok in enumerate(tokens):
        gap_end = _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # \s* always matches
        at = next((p for p in range(pos, gap_end + 1) if text.startswith(tok, p)), None)
        if at is None:
            raise FieldError(f"tokens[{i}]", f"token {tok!r} is not in the text at character {pos} ({text[pos : pos + 20]!r})")
        starts.append(at)
        pos = at + len(tok)
    return starts
