"""Score one record: its gold answer against the rows read from a model's reply, as summable counts.

Rows are compared as sets (a repeated row counts once, in the reply and in the gold alike), over the task's own columns
(offsets and reasons a rule adds are not scored), values with whitespace collapsed and label columns (type, relation,
role, label) case-folded, since casing rules rewrite labels but never spans. An unparsable reply scores zero and is
counted: every gold item is missed, and for set metrics it is one wrong prediction, so it scores zero on empty gold too.
Both empty is perfect and adds no counts. Which metric a sub-task feeds:
- ner: `entity` (type and text; `by_type` gives the type, so the text);
- re: `relation_strict` (head, relation and tail; a sub-task that gives some of them compares the rest);
- ee: `trigger_identification` (trigger text), `trigger_classification` (+ type); `argument_identification` (argument
  text of the event the instruction gives, so its trigger and type match by construction), `argument_classification`
  (+ role);
- oie: `tuple` (CaRB, see `hum.evaluation.carb`);
- mrc and generalist: `exact_match` and `f1` per record (SQuAD or CMRC 2018, see `hum.evaluation.squad`);
- cls: `accuracy` (the predicted label set equals the gold set) and per-label tallies for macro-F1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hum.evaluation.answer import answer_columns, distinct, gold_rows, keys, project
from hum.evaluation.carb import carb_tally
from hum.evaluation.counts import Counts, Tally, exact
from hum.evaluation.extract import Reading, Unparsable, read_reply
from hum.evaluation.squad import cmrc_scores, squad_scores
from hum.formats import FORMATS
from hum.tasks.base import Row

Meta = Mapping[str, Any]
Scorer = Callable[[Meta, list[Row], list[Row] | None], Counts]

SET_METRICS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {  # metric -> the columns it compares
    ("ner", "extract"): {"entity": ("type", "entity")},
    ("ner", "by_type"): {"entity": ("entity",)},
    ("re", "triples"): {"relation_strict": ("head", "relation", "tail")},
    ("re", "by_relation"): {"relation_strict": ("head", "tail")},
    ("re", "by_pair"): {"relation_strict": ("relation",)},
    ("ee", "triggers"): {"trigger_identification": ("trigger",), "trigger_classification": ("type", "trigger")},
    ("ee", "arguments"): {"argument_identification": ("argument",), "argument_classification": ("role", "argument")},
}


def score_reply(meta: Meta, reply: str) -> Counts:
    """A model's reply to the record's instruction, read tolerantly in the record's format and scored."""
    return score_record(meta, read_reply(reply, FORMATS[meta["format"]], answer_columns(meta), meta["empty"]))


def score_record(meta: Meta, reading: Reading) -> Counts:
    """One record's counts: the rows read from a reply (or `Unparsable`) against the record's gold answer."""
    columns, base = answer_columns(meta), tuple(meta["columns"])
    gold = project(gold_rows(meta), columns, base)
    pred = None if isinstance(reading, Unparsable) else project(reading, columns, base)
    scorer = SCORERS[meta["task"]]
    return Counts(records=1, unparsable=int(pred is None)) + scorer(meta, gold, pred)


def score_sets(meta: Meta, gold: list[Row], pred: list[Row] | None) -> Counts:
    """Exact-match tallies of each metric the sub-task feeds (`SET_METRICS`)."""
    base, label = tuple(meta["columns"]), meta["label_column"]
    tallies = {
        name: exact(keys(gold, base, names, label), None if pred is None else keys(pred, base, names, label))
        for name, names in SET_METRICS[meta["task"], meta["subtask"]].items()
    }
    return Counts(tallies=tallies)


def score_tuples(meta: Meta, gold: list[Row], pred: list[Row] | None) -> Counts:
    """The CaRB tally of distinct tuples, in the order given (CaRB's greedy matching breaks ties by it)."""
    base = tuple(meta["columns"])
    predicted = None if pred is None else distinct(pred, base, base, None)
    return Counts(tallies={"tuple": carb_tally(distinct(gold, base, base, None), predicted)})


def score_answer(meta: Meta, gold: list[Row], pred: list[Row] | None) -> Counts:
    """Exact match and F1 of the answer; the reply's items are read as one answer, joined by spaces."""
    if pred is None:
        return Counts(sums={"exact_match": 0.0, "f1": 0.0})
    scores = cmrc_scores if meta["lang"] == "zh" else squad_scores
    em, f1 = scores(" ".join(r[0] for r in pred), [r[0] for r in gold])
    return Counts(sums={"exact_match": em, "f1": f1})


def score_labels(meta: Meta, gold: list[Row], pred: list[Row] | None) -> Counts:
    """Whether the label set is exactly right, and each label's tally (an unparsable reply only misses the gold labels)."""
    base = tuple(meta["columns"])
    wanted = {r[0] for r in keys(gold, base, ("label",), "label")}
    given = set() if pred is None else {r[0] for r in keys(pred, base, ("label",), "label")}
    labels = {lab: label_tally(lab in wanted, lab in given) for lab in wanted | given}
    return Counts(sums={"accuracy": float(pred is not None and given == wanted)}, labels=labels)


def label_tally(wanted: bool, given: bool) -> Tally:
    """One label's tally on one record: a true positive, a false positive or a false negative."""
    hit = float(wanted and given)
    return Tally(hit, int(given), hit, int(wanted))


SCORERS: dict[str, Scorer] = {
    "ner": score_sets,
    "re": score_sets,
    "ee": score_sets,
    "oie": score_tuples,
    "mrc": score_answer,
    "generalist": score_answer,
    "cls": score_labels,
}
