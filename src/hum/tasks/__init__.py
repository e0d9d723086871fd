"""Task registry: a new task is one module here plus one line below."""

from __future__ import annotations

from hum.tasks.base import Query, Row, Span, Task
from hum.tasks.classification import Classification
from hum.tasks.event import EE
from hum.tasks.mrc import MRC
from hum.tasks.ner import NER
from hum.tasks.oie import OIE
from hum.tasks.relation import RE

TASKS: dict[str, Task] = {t.name: t for t in (NER(), RE(), MRC(), Classification(), EE(), OIE())}

__all__ = ["TASKS", "Query", "Row", "Span", "Task"]
