"""Output validation: a pandera schema over every instruction record; failures go to quarantine with reasons."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from hum.answers import answer_problem
from hum.io import Record
from hum.records import META
from hum.schemas import ANSWER_MISMATCH, IdSet, output_schema, record_failures, record_frame, texts
from hum.step import Ids, Step
from hum.tokens import Tokenizer

MEASURED = re.compile(r" \(\d+ tokens\)")  # the measured count in a reason: kept in quarantine, left out of the metric keys
TOKEN_COLUMNS = ("user_tokens", "answer_tokens")


class Validate(Step):
    """Checks the record schema, lengths in characters and tokens, and that each answer parses back to its gold annotation.

    Token limits use the configured model's tokenizer; when more than `max_reject_rate` of the records fail, the
    stage fails (see `hum.step.run_stage`): so many rejects mean a bug upstream, not a few bad records.
    """

    name = "validate"
    checks_records = True  # its schema includes the record schema: a record that breaks it is quarantined, not kept
    batch_size = 2048  # pandera's cost is mostly per frame and per check: big frames spread it thin
    tallies = ("stats", "user_tokens", "answer_tokens")

    def __init__(
        self,
        max_user_chars: int,
        max_answer_chars: int,
        max_user_tokens: int = 2048,
        max_answer_tokens: int = 1024,
        max_reject_rate: float | None = 0.05,
        *,
        tokenizer: Tokenizer,
    ) -> None:
        super().__init__()
        self.schema = output_schema(max_user_chars, max_answer_chars, max_user_tokens, max_answer_tokens)
        self.max_reject_rate = max_reject_rate
        self.tokenizer = tokenizer
        self.ids: Ids = IdSet()  # ids met so far as digests (about 11 MB a million); on workers, the parent's answers
        self.user_tokens, self.answer_tokens = TokenStats(), TokenStats()

    def process(self, batch: list[Record]) -> list[Record]:
        if not batch:
            return []
        frame = record_frame(batch, self.ids.repeated(batch))
        users, answers = zip(*(texts(r) for r in batch), strict=True)
        user_tokens, answer_tokens = self.tokenizer.count(list(users)), self.tokenizer.count(list(answers))
        frame["user_tokens"], frame["answer_tokens"] = user_tokens, answer_tokens
        frame["answer_problem"] = [checked_answer(r) for r in batch]
        reasons: dict[int, set[str]] = {}
        for pos, field, problem in record_failures(self.schema, frame):
            reasons.setdefault(pos, set()).add(self._reason(frame, pos, field, problem))
        for pos in sorted(reasons):
            self.reject(batch[pos], "; ".join(sorted(reasons[pos])))
        kept = [i for i in range(len(batch)) if i not in reasons]
        self.user_tokens.add([user_tokens[i] for i in kept])
        self.answer_tokens.add([answer_tokens[i] for i in kept])
        return [batch[i] for i in kept]

    @staticmethod
    def _reason(frame: pd.DataFrame, pos: int, field: str, problem: str) -> str:
        if problem == ANSWER_MISMATCH:
            return str(frame["answer_problem"][pos])
        if problem.endswith(" tokens"):
            column = TOKEN_COLUMNS[0] if field == "messages.user" else TOKEN_COLUMNS[1]
            return f"{problem} ({frame[column][pos]} tokens)"
        return f"{field}: {problem}" if field.startswith("meta") else problem

    def reject(self, record: Record, reason: str) -> None:
        """Quarantine with the measured token count; count under the reason without it, so metric keys stay few."""
        self.stats[f"rejected: {MEASURED.sub('', reason)}"] += 1
        self.rejected.append({"reason": reason, "record": record})

    def metrics(self) -> dict[str, Any]:
        """Counts, the tokenizer that measured, and token lengths (max, mean) of the kept user messages and answers."""
        tokens = {"user": self.user_tokens.summary(), "answer": self.answer_tokens.summary()}
        return {
            **super().metrics(),
            "tokenizer": self.tokenizer.kind,
            "tokenizer_fingerprint": self.tokenizer.fingerprint,
            "tokens": tokens,
        }


class TokenStats:
    """Running max and mean of token counts, so the stage holds no per-record lengths; a `Tally` (workers' merge)."""

    def __init__(self) -> None:
        self.max, self.total, self.n = 0, 0, 0

    def add(self, counts: list[int]) -> None:
        """Take in one batch's counts."""
        self.max = max([self.max, *counts])
        self.total += sum(counts)
        self.n += len(counts)

    def merge(self, other: TokenStats) -> None:
        self.max, self.total, self.n = max(self.max, other.max), self.total + other.total, self.n + other.n

    def empty(self) -> TokenStats:
        return TokenStats()

    def summary(self) -> dict[str, float]:
        """{max, mean} (mean to one decimal; 0 when nothing was kept)."""
        return {"max": self.max, "mean": round(self.total / self.n, 1) if self.n else 0.0}


def checked_answer(record: Record) -> str:
    """What is wrong with the answer ('' if nothing); records missing meta fields are left to the schema's report."""
    meta = record.get("meta")
    if not isinstance(meta, dict) or not set(META) <= set(meta):
        return ""
    try:
        return answer_problem(record) or ""
    except (LookupError, TypeError, ValueError, AttributeError) as exc:
        return f"answer cannot be checked against its gold annotation: {type(exc).__name__} {exc}"
