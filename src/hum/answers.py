"""Check an answer against its gold annotation: parse it back and compare with the rule-applied gold.

An MRC question with several gold answers accepts any of them, unless a stated rule picks one (`mrc:shortest`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hum.formats import FORMATS, ParseError
from hum.io import Record
from hum.rules import apply_rules, rule_columns
from hum.rules.mrc_span import gold_choices
from hum.tasks import Query


def query_of(meta: Mapping[str, Any]) -> Query:
    """Rebuild the query an instruction asked from its metadata."""
    rows = [tuple(r) for r in meta["gold"]]
    offsets = [(int(s), int(e)) for s, e in meta.get("offsets", [])]
    return Query(
        meta["task"],
        meta["subtask"],
        tuple(meta["columns"]),
        rows,
        meta["labels"],
        meta["label_column"],
        {k: v for k, v in meta.get("slots", {}).items() if v is not None},  # Arrow (parquet) fills absent slots with None
        offsets,
    )


def answer_problem(record: Record) -> str | None:
    """None when the assistant message parses back to gold rows the stated rules call for (`empty`: the stated form)."""
    meta = record["meta"]
    query, fmt = query_of(meta), FORMATS[meta["format"]]
    accepted = [fmt.arrange(apply_rules(meta["rules"], q)) for q in gold_choices(query, meta["rules"])]
    try:
        parsed = fmt.parse(record["messages"][-1]["content"], rule_columns(meta["rules"], query.columns), meta.get("empty"))
    except ParseError as exc:
        return f"answer does not parse: {exc}"
    if parsed not in accepted:
        return "answer does not parse back to its gold annotation"
    return None
