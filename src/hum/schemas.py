"""pandera schemas: seed records and their spans on the way in, instruction records on the way out."""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Collection
from typing import Any, TypeGuard

import numpy as np
import numpy.typing as npt
import pandas as pd
import pandera.pandas as pa

from hum.io import Record
from hum.records import META

Problem = tuple[int, str, str]  # (row position in the batch, field, what is wrong)

SEED_SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column(str),
        "text": pa.Column(str, pa.Check(lambda s: s.str.strip().str.len() > 0, error="empty text")),
    },
    coerce=False,
)

SPAN_SCHEMA = pa.DataFrameSchema(
    {
        "start": pa.Column(int, pa.Check(lambda s: s >= 0, error="start is negative")),
        "end": pa.Column(int, pa.Check(lambda s: s > 0, error="end is not positive")),
        "label": pa.Column(object, nullable=True),
    },
    checks=[
        pa.Check(lambda df: df["start"] < df["end"], error="start is not before end"),
        pa.Check(lambda df: df["end"] <= df["text_len"], error="end is beyond the text"),
        pa.Check(lambda df: df["span"] == df["actual"], error="span text does not match the text at [start:end)"),
        pa.Check(lambda df: df["label"].isna() | df["known"], error="label is not in the dataset's label set"),
    ],
)

ROLE_SEQUENCES = ("system,user,assistant", "user,assistant")  # layouts without a system message give the second
ANSWER_MISMATCH = "answer does not match its gold annotation"

# The value kinds each meta field may hold (see `kind_of`): the corpus loads as one Arrow schema only if they agree.
META_KINDS: dict[str, tuple[str, ...]] = {
    "task": ("text",), "subtask": ("text",), "dataset": ("text",), "seed_id": ("text",), "lang": ("text",),
    "kind": ("text",), "format": ("text",), "rules": ("list",), "empty": ("text", "null"), "guidelines": ("list",),
    "guideline_file": ("text", "null"), "description_id": ("text", "null"), "description_source": ("text", "null"),
    "layout": ("text", "null"), "phrasings": ("object",), "negative": ("bool",), "fallback": ("bool",),
    "columns": ("list",), "label_column": ("text", "null"), "labels": ("list",), "slots": ("object",), "gold": ("list",),
    "offsets": ("list",), "text_span": ("span",),
}  # fmt: skip
# One string per record, `field=kind;...`, checked by one regular expression: one pandera check instead of one per field.
KINDS_PATTERN = "^" + ";".join(f"{field}=({'|'.join(kinds)})" for field, kinds in META_KINDS.items()) + "$"
ROLES_PATTERN = "^(" + "|".join(ROLE_SEQUENCES) + ")$"
# Frame column -> the record field it checks, for messages that point at the field.
FIELDS = {
    "id_repeat": "id", "roles": "messages", "contents": "messages", "user_chars": "messages.user",
    "answer_chars": "messages.assistant", "user_tokens": "messages.user", "answer_tokens": "messages.assistant",
    "answer_problem": "messages.assistant", "span_start": "meta.text_span", "span_length": "meta.text_span",
    "span_beyond": "meta.text_span",
}  # fmt: skip
# What `record_frame` measures per record, besides `id_repeat`, which comes from the ids met before.
FRAME_COLUMNS = (
    "id", "roles", "contents", "user_chars", "answer_chars", "meta", "meta_kinds", "span_start", "span_length", "span_beyond",
)  # fmt: skip
_MISSING = object()


_KINDS = {type(None): "null", bool: "bool", int: "int", float: "float", str: "text", list: "list", dict: "object"}


def kind_of(value: Any) -> str:
    """A JSON value's kind by name; `span` is a [start, end] pair of integers."""
    if value is _MISSING:
        return "missing"
    if _is_span(value):
        return "span"
    return _KINDS.get(type(value), type(value).__name__)


def _is_span(value: Any) -> TypeGuard[list[int]]:
    return isinstance(value, list) and len(value) == 2 and type(value[0]) is int and type(value[1]) is int  # noqa: PLR2004


_META_VALUES = operator.itemgetter(*META_KINDS)
_LIST_POSITIONS: dict[tuple[type, ...], tuple[int, ...]] = {}  # value types of a meta -> where its lists are
_KIND_TEXTS: dict[tuple[tuple[type, ...], tuple[bool, ...]], str] = {}  # (value types, which lists are spans) -> kinds


def meta_kinds(meta: dict[str, Any]) -> str:
    """`field=kind;...` for every field of META_KINDS (see `kind_of`), the string the schema checks with one pattern.

    Records share a handful of shapes, so the string is built once per shape (the types of the values, and which
    lists are spans) and looked up after that: a record costs a few C-level calls instead of one `kind_of` per field.
    """
    try:
        values = _META_VALUES(meta)
    except KeyError:  # a field is missing: rare, and reported field by field
        return ";".join(f"{field}={kind_of(meta.get(field, _MISSING))}" for field in META_KINDS)
    types = tuple(map(type, values))
    lists = _LIST_POSITIONS.get(types)
    if lists is None:
        lists = _LIST_POSITIONS.setdefault(types, tuple(i for i, kind in enumerate(types) if kind is list))
    shape = (types, tuple(map(_is_span, [values[i] for i in lists])))
    kinds = _KIND_TEXTS.get(shape)
    if kinds is None:
        kinds = _KIND_TEXTS.setdefault(shape, ";".join(f"{f}={kind_of(v)}" for f, v in zip(META_KINDS, values, strict=True)))
    return kinds


def texts(record: Record) -> tuple[str, str]:
    """(user message, answer) of a record, '' where the record is malformed: the schema reports what is wrong."""
    messages = record.get("messages")
    messages = messages if isinstance(messages, list) else []
    user = next((m["content"] for m in messages if isinstance(m, dict) and m.get("role") == "user"), "")
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    answer = last.get("content", "")
    return (user if isinstance(user, str) else "", answer if isinstance(answer, str) else "")


def id_key(record: Record) -> str:
    """A record's id as uniqueness is checked on it: the id itself, or the repr of an id that is not text."""
    rid = record.get("id")
    return rid if isinstance(rid, str) else repr(rid)


def record_frame(batch: list[Record], repeated: Collection[int] = ()) -> pd.DataFrame:
    """One row per record with what the record schema checks; `repeated`: positions whose id came before (`IdSet`)."""
    columns: dict[str, list[Any]] = {name: [] for name in FRAME_COLUMNS}
    known = set(META)
    for record in batch:
        rid = record.get("id")
        columns["id"].append(rid if isinstance(rid, str) else "")
        messages = record.get("messages")
        messages = messages if isinstance(messages, list) else []
        columns["roles"].append(",".join(str(m.get("role")) if isinstance(m, dict) else "?" for m in messages))
        columns["contents"].append(all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages))
        user, answer = texts(record)
        columns["user_chars"].append(len(user.strip()))
        columns["answer_chars"].append(len(answer.strip()))
        meta = record.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        columns["meta"].append("" if known.issuperset(meta) else ", ".join(sorted(set(meta) - known)))
        columns["meta_kinds"].append(meta_kinds(meta))
        span = meta.get("text_span")
        start, end = span if _is_span(span) else (0, 0)
        columns["span_start"].append(start)
        columns["span_length"].append(end - start)
        columns["span_beyond"].append(end - len(user))
    frame = pd.DataFrame(columns)
    frame.insert(1, "id_repeat", frame.index.isin(list(repeated)))
    return frame


def record_columns() -> dict[str, pa.Column]:
    """The structural checks every stage's output passes: ids, message roles and text, meta fields, the text span."""
    return {
        "id": pa.Column(str, pa.Check.str_length(min_value=1, error="id missing, empty or not text")),
        "id_repeat": pa.Column(bool, pa.Check.eq(False, error="duplicate id")),  # noqa: FBT003 - a value, not a flag
        "roles": pa.Column(str, pa.Check.str_matches(ROLES_PATTERN, error="messages are not (system,) user, assistant")),
        "contents": pa.Column(bool, pa.Check.eq(True, error="a message is not an object with text content")),  # noqa: FBT003
        "user_chars": pa.Column(int, pa.Check.ge(1, error="instruction is empty")),
        "answer_chars": pa.Column(int, pa.Check.ge(1, error="answer is empty")),
        "meta": pa.Column(str, pa.Check.eq("", error="fields not in hum.records.META")),
        "meta_kinds": pa.Column(str, pa.Check.str_matches(KINDS_PATTERN, error="meta fields of the wrong kind")),
        "span_start": pa.Column(int, pa.Check.ge(0, error="starts before the user message")),
        "span_length": pa.Column(int, pa.Check.ge(0, error="ends before it starts")),
        "span_beyond": pa.Column(int, pa.Check.le(0, error="ends beyond the user message")),
    }


def record_schema() -> pa.DataFrameSchema:
    """The structural record schema alone, for the output of every step stage."""
    return pa.DataFrameSchema(record_columns())


def output_schema(
    max_user_chars: int, max_answer_chars: int, max_user_tokens: int | None = None, max_answer_tokens: int | None = None
) -> pa.DataFrameSchema:
    """The record schema with `validate`'s limits and the answer check, over `record_frame` plus measured columns."""
    columns = record_columns() | {
        "user_chars": pa.Column(
            int, pa.Check.in_range(1, max_user_chars, error=f"instruction empty or over {max_user_chars} characters")
        ),
        "answer_chars": pa.Column(
            int, pa.Check.in_range(1, max_answer_chars, error=f"answer empty or over {max_answer_chars} characters")
        ),
        "answer_problem": pa.Column(str, pa.Check.eq("", error=ANSWER_MISMATCH)),
    }
    if max_user_tokens is not None:
        columns["user_tokens"] = pa.Column(int, pa.Check.le(max_user_tokens, error=f"instruction over {max_user_tokens} tokens"))
    if max_answer_tokens is not None:
        columns["answer_tokens"] = pa.Column(int, pa.Check.le(max_answer_tokens, error=f"answer over {max_answer_tokens} tokens"))
    return pa.DataFrameSchema(columns)


class IdSet:
    """Ids met so far, kept as 8-byte blake2b digests: ids unique across batches without holding the ids.

    Digests go to a sorted numpy array (8 bytes an id) in merges, the recent ones waiting in a set: about 11 MB per
    million ids (22 MB during a merge), where a set of the ids themselves takes about 110 MB.
    Two different ids share a digest with odds of about n^2 / 2^65 (3 in 10^8 at a million ids): then the later
    one would be taken for a repeat. Deterministic either way: the same ids give the same answer in any run.
    """

    MERGE_EVERY = 1 << 15  # recent digests that wait in a set before a merge (or a sixteenth of those merged, if more)

    def __init__(self) -> None:
        self._merged: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self._recent: set[int] = set()

    def repeated(self, batch: list[Record]) -> list[int]:
        """Positions of records whose id was met before, in earlier calls or earlier in this one; learns the ids."""
        return self.repeated_digests(id_digests(batch))

    def repeated_digests(self, digests: bytes) -> list[int]:
        """As `repeated`, for the `id_digests` of the records (a worker process may compute them)."""
        new, merged, recent = np.frombuffer(digests, dtype=np.uint64), self._merged, self._recent
        if len(merged):
            where = np.minimum(np.searchsorted(merged, new), len(merged) - 1)
            known = (merged[where] == new).tolist()
        else:
            known = [False] * len(new)
        positions = []
        for pos, (digest, met) in enumerate(zip(new.tolist(), known, strict=True)):
            if met or digest in recent:
                positions.append(pos)
            recent.add(digest)
        if len(recent) >= max(self.MERGE_EVERY, len(merged) >> 4):
            fresh = np.sort(np.fromiter(recent, dtype=np.uint64, count=len(recent)))
            self._merged = np.insert(merged, np.searchsorted(merged, fresh), fresh)
            recent.clear()
        return positions


def id_digests(batch: list[Record]) -> bytes:
    """8-byte blake2b digests of the records' ids (`id_key`), end to end: stable across processes, unlike `hash()`."""
    return b"".join(hashlib.blake2b(id_key(r).encode(), digest_size=8).digest() for r in batch)


class RecordCheck:
    """The record schema applied batch by batch, ids unique across batches: what `run_stage` checks before it publishes.

    `rows` is the per-batch part (it can run in any process); `__call__` adds the cross-batch id check.
    """

    def __init__(self) -> None:
        self.schema = record_schema()
        self.ids = IdSet()

    def __call__(self, batch: list[Record]) -> list[tuple[str, str, str]]:
        """(record id, field, problem) for every failed check of the batch; empty when all pass."""
        return self.named(self.rows(batch), *self.identify(batch))

    def named(self, problems: list[Problem], names: list[str], digests: bytes) -> list[tuple[str, str, str]]:
        """A batch's `rows` problems (found in any process) and its repeated ids, sorted, each under its record's id."""
        repeats = [(pos, "id", "duplicate id") for pos in self.ids.repeated_digests(digests)]
        return [(names[pos], field, problem) for pos, field, problem in sorted({*problems, *repeats})]

    def rows(self, batch: list[Record]) -> list[Problem]:
        """(row position, field, problem) for every failed check of the batch but repeated ids, which need the others."""
        return record_failures(self.schema, record_frame(batch)) if batch else []

    @staticmethod
    def identify(batch: list[Record]) -> tuple[list[str], bytes]:
        """The records' ids as messages quote them, and their `id_digests` for whoever checks them across batches."""
        return [repr(r.get("id")) for r in batch], id_digests(batch)


def record_failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[Problem]:
    """Failed checks of a `record_frame` as (row position, record field, problem); meta problems name what was found."""
    problems: set[Problem] = set()
    for pos, case in _failure_cases(schema, frame):
        column, check, found = str(case["column"]), str(case["check"]), case["failure_case"]
        if column == "meta_kinds":
            problems.update((pos, field, problem) for field, problem in _wrong_kinds(str(found)))
        else:
            problems.add((pos, FIELDS.get(column, column), f"{check}: {found}" if column == "meta" else check))
    return sorted(problems)


def _wrong_kinds(kinds: str) -> list[tuple[str, str]]:
    """(meta.<field>, problem) for each field of a failed `meta_kinds` value that holds the wrong kind of value."""
    wrong = []
    for item in kinds.split(";"):
        field, kind = item.split("=")
        allowed = META_KINDS[field]
        if kind not in allowed:
            wrong.append((f"meta.{field}", "missing" if kind == "missing" else f"is {kind}, expected {' or '.join(allowed)}"))
    return wrong


def repeated_ids(ids: list[str], seen: set[str]) -> list[int]:
    """Positions of ids met before, in earlier batches or earlier in this one; `seen` learns the batch's ids."""
    positions = []
    for pos, rid in enumerate(ids):
        if rid in seen:
            positions.append(pos)
        seen.add(rid)
    return positions


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame, fields: pd.Series | None = None) -> list[Problem]:
    """Every failed check (lazy: all at once), as (row position, field, error text)."""
    problems = []
    for pos, case in _failure_cases(schema, frame):
        column = case["column"] if isinstance(case["column"], str) else None
        field = str(fields.iloc[pos]) if fields is not None else (column or "<record>")
        problems.append((pos, field, _error_text(case, frame, pos)))
    return sorted(set(problems))


def _failure_cases(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[tuple[int, Any]]:
    """(row position, pandera failure case) of every failed row check, all at once (lazy)."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return [(int(case["index"]), case) for _, case in exc.failure_cases.iterrows() if not pd.isna(case["index"])]
    return []


def _error_text(case: Any, frame: pd.DataFrame, pos: int) -> str:
    check = str(case["check"])
    if check.startswith("dtype("):
        return "wrong type: expected text" if "str" in check else f"wrong type: {check}"
    if "span" in frame.columns and "does not match" in check:
        row = frame.iloc[pos]
        return f"{check}: span {row['span']!r}, text has {row['actual']!r}"
    if "label" in frame.columns and "label set" in check:
        return f"{check}: {frame.iloc[pos]['label']!r}"
    return check
