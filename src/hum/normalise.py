"""Turn a loaded row into the one normalised record schema of its task (character offsets throughout).

Every record leaves in one spelling (NFC, LF line ends: `hum.textnorm`), its offsets moved to match.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hum.io import Record
from hum.textnorm import canonical, one_line

Normaliser = Callable[[Record, dict[str, Any]], Record]


class FieldError(ValueError):
    """A problem with one field of one row; the caller adds file and location."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"field '{field}': {problem}")


def _need(row: Record, name: str) -> Any:
    if name not in row or row[name] is None:
        raise FieldError(name, "missing")
    return row[name]


def offset(value: Any, field: str) -> int:
    """A character or token offset: an integer (an integral float is taken as one); booleans, NaN and Infinity are not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(field, f"offset must be an integer, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise FieldError(field, f"offset must be an integer, got {value!r}")
        return int(value)
    return value


# What a label may not contain: instructions list labels joined by ", " and gold rows use "|" and new lines.
LABEL_FORBIDDEN = {"|": "'|'", "\n": "a line break", "\r": "a line break", ", ": "', '"}


def label(value: Any, field: str, *, numbers: bool = False) -> str:
    """A label as text: non-empty, one line, without '|' or ', '; `numbers` lets integer class ids through as text."""
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise FieldError(field, f"label must be text, got {value!r}")
    if not value.strip():
        raise FieldError(field, f"label {value!r} is empty")
    for bad, name in LABEL_FORBIDDEN.items():
        if bad in value:
            raise FieldError(field, f"label {value!r} contains {name}")
    return value


def token_sep(cfg: dict[str, Any]) -> str:
    """What joins tokens into text: `token_sep` if set, else nothing for Chinese and a space otherwise."""
    return str(cfg.get("token_sep", "" if cfg.get("lang") == "zh" else " "))


def join_tokens(tokens: list[str], sep: str = " ") -> tuple[str, list[int]]:
    """Joined text and the character offset of each token."""
    offsets, pos = [], 0
    for tok in tokens:
        offsets.append(pos)
        pos += len(tok) + len(sep)
    return sep.join(tokens), offsets


def token_span(tokens: list[str], offsets: list[int], start: int, end: int, sep: str = " ") -> dict[str, Any]:
    """Character span covering tokens [start, end)."""
    if not 0 <= start < end <= len(tokens):
        raise FieldError("entities", f"token span [{start}, {end}) outside the {len(tokens)} tokens")
    return {"start": offsets[start], "end": offsets[end - 1] + len(tokens[end - 1]), "text": sep.join(tokens[start:end])}


def char_spans(items: Any, field: str, keys: tuple[str, ...]) -> list[Record]:
    """Span items that carry `keys`, with integer offsets; a bad item names its index."""
    if not isinstance(items, list):
        raise FieldError(field, "expected a list")
    for i, item in enumerate(items):
        missing = [k for k in keys if not isinstance(item, dict) or item.get(k) is None]
        if missing:
            raise FieldError(f"{field}[{i}]", f"missing {', '.join(missing)}")
        if not all(isinstance(item[k], int) and not isinstance(item[k], bool) for k in ("start", "end")):
            raise FieldError(f"{field}[{i}]", f"start and end must be integers, got {item['start']!r} and {item['end']!r}")
        if "type" in keys:
            label(item["type"], f"{field}[{i}].type")
    return items


def bio_entities(tokens: list[str], tags: list[str]) -> list[tuple[int, int, str]]:
    """Token spans from IOB1, IOB2 or BIOES tags."""
    if len(tags) != len(tokens):
        raise FieldError("tags", f"{len(tags)} tags for {len(tokens)} tokens")
    spans: list[tuple[int, int, str]] = []
    open_start, open_type = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, typ = tag.partition("-")
        if tag != "O" and (prefix not in {"B", "I", "E", "S"} or not typ):
            raise FieldError("tags", f"tag {tag!r} at token {i} is not O or B-/I-/E-/S-<type>")
        continues = prefix in {"I", "E"} and open_type == typ
        if open_type and not continues:
            spans.append((open_start, i, open_type))
            open_type = ""
        if tag != "O" and not continues:
            open_start, open_type = i, typ
        if prefix in {"E", "S"} and open_type:
            spans.append((open_start, i + 1, open_type))
            open_type = ""
    return spans


def ner(row: Record, cfg: dict[str, Any]) -> Record:
    """From tokens+tags, tokens+token-span entities, or text+char-span entities."""
    sep = token_sep(cfg)
    if "tokens" in row:
        tokens = _need(row, "tokens")
        text, offsets = join_tokens(tokens, sep)
        if row.get("entities") is None:
            raw = bio_entities(tokens, _need(row, "tags"))
        else:
            raw = [
                (
                    offset(e["start"], f"entities[{i}].start"),
                    offset(e["end"], f"entities[{i}].end"),
                    label(e["type"], f"entities[{i}].type"),
                )
                for i, e in enumerate(row["entities"])
            ]
        entities = [{**token_span(tokens, offsets, s, e, sep), "type": t} for s, e, t in raw]
        return {"text": text, "entities": entities}
    return {
        "text": _need(row, "text"),
        "entities": char_spans(_need(row, "entities"), "entities", ("start", "end", "text", "type")),
    }


def relation(row: Record, cfg: dict[str, Any]) -> Record:
    """Entities as char spans; a relation's ends found by entity id or text; `no_relation` types dropped."""
    text = _need(row, "text")
    if "tokens" in row:
        sep = token_sep(cfg)
        _, offsets = join_tokens(row["tokens"], sep)
        ents = [
            {
                **token_span(
                    row["tokens"],
                    offsets,
                    offset(e["start"], f"entities[{i}].start"),
                    offset(e["end"], f"entities[{i}].end"),
                    sep,
                ),
                "id": e.get("id"),
            }
            for i, e in enumerate(row["entities"])
        ]
    else:
        items = char_spans(_need(row, "entities"), "entities", ("start", "end", "text"))
        ents = [{"start": e["start"], "end": e["end"], "text": e["text"], "id": e.get("id")} for e in items]
    by_id = {e["id"]: e for e in ents if e["id"] is not None}
    by_text = {e["text"]: e for e in ents}
    relations = []
    for i, rel in enumerate(_need(row, "relations")):
        if label(rel["type"], f"relations[{i}].type") in cfg.get("no_relation", []):
            continue
        ends = {}
        for end in ("head", "tail"):
            ent = by_id.get(rel.get(f"{end}_id")) or by_text.get(rel[end])
            if ent is None:
                raise FieldError(f"relations[{i}].{end}", f"{rel[end]!r} is none of the record's entities")
            ends[end] = {k: ent[k] for k in ("start", "end", "text")}
        relations.append({"type": rel["type"], **ends})
    return {"text": text, "entities": [{k: e[k] for k in ("start", "end", "text")} for e in ents], "relations": relations}


def mrc(row: Record, _cfg: dict[str, Any]) -> Record:
    """SQuAD answers (`answer_start`) to char spans; no answers means unanswerable (SQuAD v2 `is_impossible`).

    The question is put on one line (whitespace runs as single spaces): it is one line of an instruction.

    Answers may come as a list of objects (SQuAD JSON) or as columns of lists (SQuAD on the Hugging Face Hub).
    `plausible_answers` are never read: they are distractors, not gold.
    """
    given = _need(row, "answers")
    if isinstance(given, dict):
        given = [dict(zip(given, values, strict=True)) for values in zip(*given.values(), strict=True)]
    if row.get("is_impossible") and given:
        raise FieldError("answers", "is_impossible is true but answers are given")
    answers = []
    for i, a in enumerate(given):
        start = offset(a["answer_start"] if "answer_start" in a else a["start"], f"answers[{i}].answer_start")
        if not isinstance(a["text"], str):
            raise FieldError(f"answers[{i}].text", f"expected text, got {a['text']!r}")
        answers.append({"text": a["text"], "start": start, "end": start + len(a["text"])})
    question = _need(row, "question")
    if not isinstance(question, str) or not question.strip():
        raise FieldError("question", "empty question" if isinstance(question, str) else f"expected text, got {question!r}")
    return {"text": _need(row, "context"), "question": one_line(question), "answers": answers}


def classification(row: Record, cfg: dict[str, Any]) -> Record:
    """One `label` or a list of `labels`; `multi_label` datasets may have any number, single-label exactly one."""
    labels = _need(row, "labels") if "labels" in row else [_need(row, "label")]
    field = "labels" if "labels" in row else "label"
    if not isinstance(labels, list):
        raise FieldError(field, f"expected a list of labels, got {labels!r}")
    multi = bool(cfg.get("multi_label", False))
    if not multi and len(labels) != 1:
        raise FieldError("labels", f"{len(labels)} labels in a single-label dataset (set multi_label: true)")
    return {"text": _need(row, "text"), "labels": [label(lab, field, numbers=True) for lab in labels], "multi_label": multi}


def general(row: Record, _cfg: dict[str, Any]) -> Record:
    """General instruction data (self-instruct style): the instruction and the first instance."""
    instance = (row.get("instances") or [{}])[0]
    prompt = _need(row, "instruction") + (f"\n\n{instance['input']}" if instance.get("input") else "")
    return {"text": prompt, "output": instance.get("output", row.get("output", ""))}


def fragment_spans(text: str, item: Record) -> list[dict[str, Any]]:
    """Char spans of a PHEE item: one if its `fragments` cover its text contiguously, else one per fragment.

    Discontinuous items ("intravenous ... injection") have no single verbatim span; one span per fragment keeps
    every answer copyable from the text. An item without fragments but with `start`/`end` is one fragment.
    """
    frags = item.get("fragments") or ([item] if "start" in item else [])
    if not frags:
        return []
    start, end = offset(frags[0]["start"], "start"), offset(frags[-1]["end"], "end")
    if text[start:end] == item["text"]:
        return [{"text": item["text"], "start": start, "end": end}]
    return [{"text": f["text"], "start": offset(f["start"], "start"), "end": offset(f["end"], "end")} for f in frags]


def event(row: Record, _cfg: dict[str, Any]) -> Record:
    """PHEE-style events to char spans; arguments without a span are dropped, attribute values (`value`) too."""
    text = _need(row, "text")
    events = []
    for i, ev in enumerate(_need(row, "events")):
        trigger = fragment_spans(text, ev["trigger"])
        if len(trigger) != 1:
            raise FieldError(f"events[{i}].trigger", f"a trigger needs one contiguous span, found {len(trigger)}")
        label(ev["type"], f"events[{i}].type")
        arguments = [
            {"role": label(a["role"], f"events[{i}].arguments[{j}].role"), **span}
            for j, a in enumerate(ev["arguments"])
            for span in fragment_spans(text, a)
        ]
        events.append({"type": ev["type"], "trigger": trigger[0], "arguments": arguments})
    return {"text": text, "events": events}


def oie(row: Record, _cfg: dict[str, Any]) -> Record:
    """Open IE: the sentence as `text`, tuples [subject, relation, object, ...] as given (they have no offsets)."""
    text = row["text"] if "text" in row else _need(row, "sentence")
    tuples = [[str(x) for x in t] for t in _need(row, "tuples")]
    for i, t in enumerate(tuples):
        if len(t) < 2:  # noqa: PLR2004 - subject and relation
            raise FieldError(f"tuples[{i}]", f"needs at least a subject and a relation, has {len(t)} field(s)")
    return {"text": text, "tuples": tuples}


NORMALISERS: dict[str, Normaliser] = {
    "ner": ner,
    "re": relation,
    "mrc": mrc,
    "cls": classification,
    "general": general,
    "ee": event,
    "oie": oie,
}


def normalise(row: Record, cfg: dict[str, Any], index: str) -> Record:
    """Rename columns per config, normalise for the task, and stamp id, dataset, task and language.

    A row without an id gets `<dataset>-<index>`, where `index` names the split and the row's position.
    Text and strings come out in NFC with LF line ends, offsets moved to cover the same characters.
    """
    row = {cfg.get("columns", {}).get(k, k): v for k, v in row.items()}
    body = canonical(NORMALISERS[cfg["task"]](row, cfg))
    rid = str(row["id"]) if row.get("id") is not None else f"{cfg['name']}-{index}"
    return {"id": rid, "dataset": cfg["name"], "task": cfg["task"], "lang": cfg["lang"], **body}
