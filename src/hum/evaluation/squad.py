"""Reading-comprehension exact match and F1: SQuAD's official script for English, CMRC 2018's for Chinese.

English follows SQuAD v2.0's `evaluate-v2.0.py` (v1.1's on answerable questions): answers are normalised (lower-cased,
punctuation and the articles a/an/the removed, whitespace collapsed), F1 is over the bag of tokens, and both take the best
gold answer. SQuAD 2.0's no-answer rule holds in both languages: with no gold answer, an empty prediction scores 1, any
other 0. Chinese follows CMRC 2018's `cmrc2018_evaluate.py`: its punctuation list removed, lower-cased, each Chinese
character a token and other runs split into words (the script uses nltk's tokenizer; here: words and single punctuation
marks), F1 over the longest common run of tokens, exact match on the texts without punctuation.
"""

from __future__ import annotations

import re
import string
from collections import Counter

ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
PUNCTUATION = frozenset(string.punctuation)
# CMRC 2018's list; its '……' is two characters, which the script compares with one character, so it never matches.
CMRC_PUNCTUATION = frozenset("-:_*^/\\~`+=，。：？！“”；’《》·、「」（）－～『』")
CHINESE = re.compile(r"[\u4e00-\u9fa5]")
WORD = re.compile(r"\w+|[^\w\s]")


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    no_punctuation = "".join(c for c in text.lower() if c not in PUNCTUATION)
    return " ".join(ARTICLES.sub(" ", no_punctuation).split())


def squad_scores(prediction: str, answers: list[str]) -> tuple[float, float]:
    """(exact match, F1) of a prediction against the gold answers, as SQuAD 2.0 scores it."""
    golds = [normalize_answer(a) for a in answers if normalize_answer(a)] or [""]
    pred = normalize_answer(prediction)
    return max(float(g == pred) for g in golds), max(token_f1(g.split(), pred.split()) for g in golds)


def token_f1(gold: list[str], pred: list[str]) -> float:
    """F1 over the bag of tokens; with either side empty, 1 if both are, else 0."""
    if not gold or not pred:
        return float(gold == pred)
    same = sum((Counter(gold) & Counter(pred)).values())
    return 2 * same / (len(gold) + len(pred))


def segments(text: str) -> list[str]:
    """CMRC 2018's mixed segmentation without punctuation: Chinese characters one by one, other runs as words."""
    out: list[str] = []
    run = ""
    for char in text.lower().strip():
        if char in CMRC_PUNCTUATION:
            continue
        if CHINESE.match(char):
            out += [*WORD.findall(run), char]
            run = ""
        else:
            run += char
    return out + WORD.findall(run)


def cmrc_scores(prediction: str, answers: list[str]) -> tuple[float, float]:
    """(exact match, F1) as CMRC 2018 scores them, with SQuAD 2.0's rule for a question without an answer."""
    if not any(map(segments, answers)):
        no_answer = float(not segments(prediction))
        return no_answer, no_answer
    bare, tokens = remove_punctuation(prediction), segments(prediction)
    return max(float(remove_punctuation(a) == bare) for a in answers), max(lcs_f1(segments(a), tokens) for a in answers)


def remove_punctuation(text: str) -> str:
    """CMRC 2018's text for exact match: lower case, stripped, its punctuation list removed."""
    return "".join(c for c in text.lower().strip() if c not in CMRC_PUNCTUATION)


def lcs_f1(gold: list[str], pred: list[str]) -> float:
    """F1 of the longest common contiguous run of tokens (0 when there is none)."""
    longest, previous = 0, [0] * (len(pred) + 1)
    for g in gold:
        current = [0] * (len(pred) + 1)
        for j, p in enumerate(pred):
            if g == p:
                current[j + 1] = previous[j] + 1
        longest, previous = max(longest, *current), current
    return 2 * longest / (len(gold) + len(pred)) if longest else 0.0
