"""Open-IE tuple scoring after CaRB (Bhardwaj, Aggarwal and Mausam, EMNLP 2019), at its single operating point.

A model gives no confidences, so CaRB's precision-recall curve is one point, scored as `carb.py` scores it:
- a pair (gold, predicted) of (subject, relation, object) tuples is scored as CaRB's `Matcher.linient_tuple_match` on
  binarised tuples (object = the further arguments joined, as our gold rows are): no match, (0, 0), unless the relations
  share a token; else matched tokens over all three parts (multiset overlap, part by part) divided by the predicted
  tuple's tokens (precision) and by the gold tuple's tokens (recall);
- recall of a gold tuple is its best recall over all predictions (a prediction may serve several gold tuples);
- precision comes from a one-to-one greedy matching: the unmatched pair of highest precision is taken first, until one
  side runs out; a prediction left unmatched scores 0;
- dataset precision is summed precision over predicted tuples, recall summed recall over gold tuples (micro), F1 theirs.
Tokens are case-folded and split at whitespace, each Chinese character a token of its own. Left out: CaRB's English
special cases (a predicted "be" matching any form of it, subject and object swapped for "said"-type relations).
Duplicate tuples count once on either side, as everywhere in this package.
"""

from __future__ import annotations

import re
from collections import Counter

from hum.evaluation.counts import Tally
from hum.tasks.base import Row

TOKEN = re.compile(r"[\u3400-\u9fff]|[^\s\u3400-\u9fff]+")
RELATION = 1  # (subject, relation, object)


def tokens(text: str) -> list[str]:
    """Case-folded whitespace tokens, each Chinese character on its own."""
    return TOKEN.findall(text.casefold())


def pair_score(gold: Row, pred: Row) -> tuple[float, float]:
    """(precision, recall) of a predicted tuple against a gold one, CaRB's lenient tuple match."""
    parts = [(tokens(g), tokens(p)) for g, p in zip(gold, pred, strict=True)]
    matched = [sum((Counter(g) & Counter(p)).values()) for g, p in parts]
    if not matched[RELATION]:
        return 0.0, 0.0
    n_pred, n_gold = sum(len(p) for _, p in parts), sum(len(g) for g, _ in parts)
    return sum(matched) / n_pred if n_pred else 0.0, sum(matched) / n_gold if n_gold else 0.0


def greedy_precision(scores: list[list[tuple[float, float]]]) -> float:
    """Summed precision of a one-to-one matching built greedily by precision (ties: first gold, then first prediction)."""
    pairs = sorted((-s[0], i, j) for i, row in enumerate(scores) for j, s in enumerate(row))
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    total = 0.0
    for negated, i, j in pairs:
        if i not in used_gold and j not in used_pred:
            used_gold.add(i)
            used_pred.add(j)
            total -= negated
    return total


def carb_tally(gold: list[Row], pred: list[Row] | None) -> Tally:
    """One record's CaRB tally; an unparsable reply (None) is one prediction of precision 0."""
    if pred is None:
        return Tally(0.0, 1, 0.0, len(gold))
    scores = [[pair_score(g, p) for p in pred] for g in gold]
    recall = sum(max((s[1] for s in row), default=0.0) for row in scores)
    return Tally(greedy_precision(scores), len(pred), recall, len(gold))
