"""Evidence for a draft, quoted from the prepared data: examples of a label, and texts of similar labels it is not."""

from __future__ import annotations

from collections.abc import Iterator

from hum.guidelines import ROLE, Guideline
from hum.io import Record
from hum.seedstats import neighbours
from hum.tasks import TASKS

POSITIVES, CLS_POSITIVES, NEGATIVES = 3, 2, 2
MAX_QUOTE = 80  # longer spans make poor examples; classification texts are cut to CLS_QUOTE instead
CLS_QUOTE = {"en": 100, "zh": 50}


def quote(text: str, lang: str) -> tuple[str, str]:
    """A classification text as an example: whole when short, else cut at a word (with "…"); and the part cut."""
    limit = CLS_QUOTE[lang]
    if len(text) <= limit:
        return text, text
    cut = text.rfind(" ", 0, limit) if lang == "en" else limit
    part = text[: cut if cut > limit // 2 else limit].rstrip(" ,;:，；：")
    return part + "…", part


def mentions(record: Record) -> Iterator[tuple[str, str]]:
    """(label, quoted text) of each labelled mention of a record, each checked to occur in the record's text.

    Classification quotes the text, relation extraction the `(head, tail)` pair, other tasks the span.
    """
    text, task = record["text"], record["task"]
    found: list[tuple[str, str, tuple[str, ...]]]
    if task == "cls":
        shown, part = quote(text, record["lang"])
        found = [(label, shown, (part,)) for label in record["labels"]]
    elif task == "re":
        pairs = [(r["type"], r["head"]["text"], r["tail"]["text"]) for r in record["relations"]]
        found = [(label, f"({head}, {tail})", (head, tail)) for label, head, tail in pairs]
    else:
        spans = TASKS[task].spans(record)
        found = [(s.label, s.text, (s.text,)) for s in spans if s.label is not None and len(s.text) <= MAX_QUOTE]
    for label, shown, parts in found:
        if all(p.strip() and p in text for p in parts):
            yield label, shown


def quotes_by_label(records: list[Record]) -> dict[str, list[str]]:
    """Distinct quoted texts of each label (case-blind), in data order."""
    quotes: dict[str, dict[str, str]] = {}
    for record in records:
        for label, shown in mentions(record):
            quotes.setdefault(label, {}).setdefault(" ".join(shown.casefold().split()), shown)
    return {label: list(texts.values()) for label, texts in quotes.items()}


def evidence(
    label: str, labelset: list[str], quotes: dict[str, list[str]], home: Guideline | None, task: str
) -> tuple[list[str], list[str]]:
    """Positive examples of `label` and negatives: texts of its most similar labels of the same kind, not of it.

    Similar labels (by name and definition, as hard negatives are drawn) show a reviewer what the label is not.
    """
    own = quotes.get(label, [])
    positives = own[: CLS_POSITIVES if task == "cls" else POSITIVES]
    same_kind = {lab.removeprefix(ROLE): lab for lab in labelset if lab.startswith(ROLE) == label.startswith(ROLE)}
    near = neighbours(list(same_kind.values()), home, k=len(same_kind)).get(label.removeprefix(ROLE), [])
    mine = {t.casefold() for t in own}
    negatives: list[str] = []
    for other in near:
        if len(negatives) == NEGATIVES:
            break
        shown = next((t for t in quotes.get(same_kind[other], []) if t.casefold() not in mine and t not in negatives), None)
        if shown is not None:
            negatives.append(shown)
    return positives, negatives


def aliases_of(label: str, guides: list[Guideline]) -> tuple[str, ...]:
    """Every name of the label's entry in any guideline file (`PER` for `person`): a definition may use any."""
    names = set()
    for guide in guides:
        key = guide.names.get(label.removeprefix(ROLE).casefold())
        names |= {n for n, k in guide.names.items() if k == key} if key else set()
    return tuple(sorted(names))
