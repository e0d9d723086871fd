"""pandera schemas: seed records and their spans on the way in, instruction records on the way out."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa

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


def output_schema(max_user_chars: int, max_answer_chars: int) -> pa.DataFrameSchema:
    """Checks on instruction records, flattened to one row each."""
    return pa.DataFrameSchema(
        {
            "id": pa.Column(str),
            "roles": pa.Column(
                str, pa.Check.isin(ROLE_SEQUENCES, error="messages are not (system,) user, assistant")
            ),
            "user_chars": pa.Column(
                int, pa.Check.in_range(1, max_user_chars, error=f"instruction empty or over {max_user_chars} characters")
            ),
            "answer_chars": pa.Column(
                int, pa.Check.in_range(1, max_answer_chars, error=f"answer empty or over {max_answer_chars} characters")
            ),
            "answer_problem": pa.Column(str, pa.Check.eq("", error=ANSWER_MISMATCH)),
        },
    )


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
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        for _, case in exc.failure_cases.iterrows():
            index = case["index"]
            if pd.isna(index):
                continue
            pos = int(index)
            column = case["column"] if isinstance(case["column"], str) else None
            field = str(fields.iloc[pos]) if fields is not None else (column or "<record>")
            problems.append((pos, field, _error_text(case, frame, pos)))
        return sorted(set(problems))
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
