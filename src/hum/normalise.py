"""Turn a loaded row into the one normalised record schema of its task (character offsets throughout).

Offsets may come as characters or as tokens (a row with `tokens`: `hum.seedformats.source`), and relation ends,
triggers and arguments as entity indices, ids, texts or spans (`hum.seedformats.mentions`); a dataset's `columns`
and `constants` first fit the file's own field names (`hum.seedformats.columns`). Every record leaves in one
spelling (NFC, LF line ends: `hum.textnorm`), its offsets moved to match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hum.io import Record
from hum.seedformats.columns import remap
from hum.seedformats.fields import FieldError, items, label, need, offset
from hum.seedformats.mentions import Mentions, one_span
from hum.seedformats.source import Source
from hum.textnorm import canonical, one_line

Normaliser = Callable[[Record, dict[str, Any]], Record]
__all__ = [  # FieldError, label and offset live in hum.seedformats.fields; callers know them from here
    "NORMALISERS",
    "FieldError",
    "bio_entities",
    "classification",
    "event",
    "fragment_spans",
    "general",
    "label",
    "mrc",
    "ner",
    "normalise",
    "offset",
    "oie",
    "relation",
]


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
    """From tokens and BIO tags, or entities as token or character spans; a discontinuous entity gives one per fragment."""
    source = Source.of(row, cfg)
    if source.tokens is not None and row.get("entities") is None:
        found = bio_entities(source.tokens, need(row, "tags"))
        return {"text": source.text, "entities": [{**source.token_span(s, e, "tags"), "type": t} for s, e, t in found]}
    entities = []
    for i, item in enumerate(items(need(row, "entities"), "entities")):
        spans = source.spans(item, f"entities[{i}]", required=True)
        kind = label(need(item, "type", f"entities[{i}]"), f"entities[{i}].type")
        entities += [{**span, "type": kind} for span in spans]
    return {"text": source.text, "entities": entities}


def relation(row: Record, cfg: dict[str, Any]) -> Record:
    """Entities as spans; a relation's ends by entity index, id, text or span; `no_relation` types dropped."""
    source = Source.of(row, cfg)
    mentions = Mentions(source, need(row, "entities"), row.get("triggers"))
    relations = []
    for i, rel in enumerate(items(need(row, "relations"), "relations")):
        field = f"relations[{i}]"
        kind = label(need(rel, "type", field), f"{field}.type")
        if kind in cfg.get("no_relation", []):
            continue
        ends = {end: mentions.resolve(rel, end, f"{field}.{end}") for end in ("head", "tail")}
        relations.append({"type": kind, **{end: one_span(s, f"{field}.{end}", "a relation end") for end, s in ends.items()}})
    return {"text": source.text, "entities": [s for m in mentions.entities for s in m.spans], "relations": relations}


def mrc(row: Record, cfg: dict[str, Any]) -> Record:
    """SQuAD answers (`answer_start`), or token `start`/`end` over `tokens`, to char spans; every gold answer is kept.

    No answers means unanswerable (SQuAD v2 `is_impossible`). The question is put on one line (whitespace runs as
    single spaces): it is one line of an instruction. Answers may come as a list of objects (SQuAD JSON) or as
    columns of lists (SQuAD on the Hugging Face Hub). `plausible_answers` are never read: they are distractors.
    """
    source = Source.of(row, cfg, "context")
    given = need(row, "answers")
    if isinstance(given, dict):
        if not all(isinstance(v, list) for v in given.values()) or len({len(v) for v in given.values()}) > 1:
            raise FieldError("answers", f"expected answer columns of lists of one length, got {given!r}")
        given = [dict(zip(given, values, strict=True)) for values in zip(*given.values(), strict=True)]
    if row.get("is_impossible") and given:
        raise FieldError("answers", "is_impossible is true but answers are given")
    answers = [_answer(source, a, f"answers[{i}]") for i, a in enumerate(items(given, "answers"))]
    question = need(row, "question")
    if not isinstance(question, str) or not question.strip():
        raise FieldError("question", "empty question" if isinstance(question, str) else f"expected text, got {question!r}")
    return {"text": source.text, "question": one_line(question), "answers": answers}


def _answer(source: Source, answer: Any, field: str) -> dict[str, Any]:
    """A token span over the context's tokens, or a SQuAD answer: its text from `answer_start` (or `start`)."""
    if source.tokens is not None:
        return source.span(answer, field)
    key = "start" if isinstance(answer, dict) and "answer_start" not in answer and "start" in answer else "answer_start"
    start = offset(need(answer, key, field), f"{field}.{key}")
    text = need(answer, "text", field)
    if not isinstance(text, str):
        raise FieldError(f"{field}.text", f"expected text, got {text!r}")
    return {"text": text, "start": start, "end": start + len(text)}


def classification(row: Record, cfg: dict[str, Any]) -> Record:
    """One `label` or a list of `labels`; `multi_label` datasets may have any number, single-label exactly one."""
    labels = need(row, "labels") if "labels" in row else [need(row, "label")]
    field = "labels" if "labels" in row else "label"
    if not isinstance(labels, list):
        raise FieldError(field, f"expected a list of labels, got {labels!r}")
    multi = bool(cfg.get("multi_label", False))
    if not multi and len(labels) != 1:
        raise FieldError("labels", f"{len(labels)} labels in a single-label dataset (set multi_label: true)")
    return {"text": need(row, "text"), "labels": [label(lab, field, numbers=True) for lab in labels], "multi_label": multi}


def general(row: Record, _cfg: dict[str, Any]) -> Record:
    """General instruction data (self-instruct style): the instruction and the first instance."""
    instance = (row.get("instances") or [{}])[0]
    prompt = need(row, "instruction") + (f"\n\n{instance['input']}" if instance.get("input") else "")
    output = instance["output"] if "output" in instance else need(row, "output")
    return {"text": prompt, "output": output}


def fragment_spans(text: str, item: Record) -> list[dict[str, Any]]:
    """Char spans of a PHEE item: one if its `fragments` cover its text contiguously, else one per fragment.

    Discontinuous items ("intravenous ... injection") have no single verbatim span; one span per fragment keeps
    every answer copyable from the text. An item without fragments but with `start`/`end` is one fragment.
    """
    return Source(text).spans(item, "fragments")


def event(row: Record, cfg: dict[str, Any]) -> Record:
    """Events to char spans: triggers and arguments as spans (tokens or characters) or as references to entities.

    An argument with neither a span nor a reference (an attribute `value`) is dropped; a discontinuous argument
    gives one argument per fragment; an argument that is another event (BRAT `Theme:E1`) is that event's trigger.
    """
    source = Source.of(row, cfg)
    mentions = Mentions(source, row.get("entities") or [], row.get("triggers"))
    events = []
    for i, ev in enumerate(items(need(row, "events"), "events")):
        field = f"events[{i}]"
        trigger = one_span(mentions.resolve(ev, "trigger", f"{field}.trigger"), f"{field}.trigger", "a trigger")
        kind = label(need(ev, "type", field), f"{field}.type")
        arguments = [
            {"role": label(need(a, "role", f"{field}.arguments[{j}]"), f"{field}.arguments[{j}].role"), **span}
            for j, a in enumerate(items(need(ev, "arguments", field), f"{field}.arguments"))
            for span in _argument_spans(mentions, a, f"{field}.arguments[{j}]")
        ]
        events.append({"type": kind, "trigger": trigger, "arguments": arguments})
    return {"text": source.text, "events": events}


def _argument_spans(mentions: Mentions, argument: Any, field: str) -> list[dict[str, Any]]:
    """An argument's own span(s) if it has any (PHEE keeps an annotation id beside them), else the entity it names."""
    own = mentions.source.spans(argument, field)
    if own or (argument.get("entity") is None and argument.get("entity_id") is None):
        return own
    return mentions.resolve(argument, "entity", f"{field}.entity")


def oie(row: Record, _cfg: dict[str, Any]) -> Record:
    """Open IE: the sentence as `text`, tuples [subject, relation, object, ...] as given (they have no offsets)."""
    text = row["text"] if "text" in row else need(row, "sentence")
    tuples = [[str(x) for x in items(t, f"tuples[{i}]")] for i, t in enumerate(items(need(row, "tuples"), "tuples"))]
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
    """Map columns (and constants) per config, normalise for the task, and stamp id, dataset, task and language.

    A row without an id gets `<dataset>-<index>`, where `index` names the split and the row's position.
    Text and strings come out in NFC with LF line ends, offsets moved to cover the same characters.
    """
    row = remap(row, cfg)
    body = canonical(NORMALISERS[cfg["task"]](row, cfg))
    rid = str(row["id"]) if row.get("id") is not None else f"{cfg['name']}-{index}"
    return {"id": rid, "dataset": cfg["name"], "task": cfg["task"], "lang": cfg["lang"], **body}
