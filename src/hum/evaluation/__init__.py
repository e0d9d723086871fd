"""Scoring model replies to held-out instructions against their gold answers: pure functions, no model.

`read_reply` reads a reply tolerantly in its format, `score_record` (or `score_reply`) turns one record into summable
`Counts`, `group` sums them per task and dataset, and `summarise` reports the metrics.
"""

from __future__ import annotations

from hum.evaluation.counts import Counts, Tally
from hum.evaluation.extract import Reading, Unparsable, read_reply
from hum.evaluation.metrics import score_record, score_reply
from hum.evaluation.report import group, summarise

__all__ = ["Counts", "Reading", "Tally", "Unparsable", "group", "read_reply", "score_record", "score_reply", "summarise"]
