"""Output validation: a pandera schema over every instruction record; failures go to quarantine with reasons."""

from __future__ import annotations

import pandas as pd

from hum.answers import answer_problem
from hum.io import Record
from hum.records import message
from hum.schemas import ANSWER_MISMATCH, failures, output_schema, repeated_ids
from hum.step import Step


class Validate(Step):
    """Checks roles, lengths, unique ids and that each answer parses back to its gold annotation."""

    name = "validate"

    def __init__(self, max_user_chars: int, max_answer_chars: int) -> None:
        super().__init__()
        self.schema = output_schema(max_user_chars, max_answer_chars)
        self.seen: set[str] = set()

    def process(self, batch: list[Record]) -> list[Record]:
        frame = pd.DataFrame(
            {
                "id": [r["id"] for r in batch],
                "roles": [",".join(m["role"] for m in r["messages"]) for r in batch],
                "user_chars": [len(message(r, "user")) for r in batch],
                "answer_chars": [len(r["messages"][-1]["content"].strip()) for r in batch],
                "answer_problem": [answer_problem(r) or "" for r in batch],
            }
        )
        reasons: dict[int, set[str]] = {i: {"duplicate id"} for i in repeated_ids([r["id"] for r in batch], self.seen)}
        for pos, _, problem in failures(self.schema, frame):
            reasons.setdefault(pos, set()).add(frame["answer_problem"][pos] if problem == ANSWER_MISMATCH else problem)
        for pos in sorted(reasons):
            self.reject(batch[pos], "; ".join(sorted(reasons[pos])))
        return [r for i, r in enumerate(batch) if i not in reasons]
