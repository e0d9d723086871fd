"""pandera schemas: seed records and their spans on the way in, instruction records on the way out."""

from __future__ import annotations

from typing import Any

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
_MISSING = object()


def kind_of(value: Any) -> str:
    """A JSON value's kind by name; `span` is a [start, end] pair of integers."""
    if value is _MISSING:
        return "missing"
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value):  # noqa: PLR2004 - a pair
        return "span"
    kinds = {type(None): "null", bool: "bool", int: "int", float: "float", str: "text", list: "list", dict: "object"}
    return kinds.get(type(value), type(value).__name__)


def texts(record: Record) -> tuple[str, str]:
    """(user message, answer) of a record, '' where the record is malformed: the schema reports what is wrong."""
    messages = record.get("messages")
    messages = messages if isinstance(messages, list) else []
    user = next((m["content"] for m in messages if isinstance(m, dict) and m.get("role") == "user"), "")
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    answer = last.get("content", "")
    return (user if isinstance(user, str) else "", answer if isinstance(answer, str) else "")


def record_frame(batch: list[Record], seen: set[str]) -> pd.DataFrame:
    """One row per record with what the record schema checks; `seen` learns the batch's ids (unique across batches)."""
    ids = [r.get("id") for r in batch]
    columns: dict[str, list[Any]] = {
        "id": [rid if isinstance(rid, str) else "" for rid in ids],
        "id_repeat": [False] * len(batch),
        **{name: [] for name in ("roles", "contents", "user_chars", "answer_chars", "meta", "meta_kinds")},
        **{name: [] for name in ("span_start", "span_length", "span_beyond")},
    }
    for pos in repeated_ids([rid if isinstance(rid, str) else repr(rid) for rid in ids], seen):
        columns["id_repeat"][pos] = True
    for record in batch:
        messages = record.get("messages")
        messages = messages if isinstance(messages, list) else []
        columns["roles"].append(",".join(str(m.get("role")) if isinstance(m, dict) else "?" for m in messages))
        columns["contents"].append(all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages))
        user, answer = texts(record)
        columns["user_chars"].append(len(user.strip()))
        columns["answer_chars"].append(len(answer.strip()))
        meta = record.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        columns["meta"].append(", ".join(sorted(set(meta) - set(META))))
        columns["meta_kinds"].append(";".join(f"{field}={kind_of(meta.get(field, _MISSING))}" for field in META_KINDS))
        start, end = meta["text_span"] if kind_of(meta.get("text_span")) == "span" else (0, 0)
        columns["span_start"].append(start)
        columns["span_length"].append(end - start)
        columns["span_beyond"].append(end - len(user))
    return pd.DataFrame(columns)


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


class RecordCheck:
    """The record schema applied batch by batch, ids unique across batches: what `run_stage` checks before it publishes."""

    def __init__(self) -> None:
        self.schema = record_schema()
        self.seen: set[str] = set()

    def __call__(self, batch: list[Record]) -> list[tuple[str, str, str]]:
        """(record id, field, problem) for every failed check of the batch; empty when all pass."""
        if not batch:
            return []
        frame = record_frame(batch, self.seen)
        return [(repr(batch[pos].get("id")), field, problem) for pos, field, problem in record_failures(self.schema, frame)]


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
