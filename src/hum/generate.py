"""Turn one prepared seed record into instruction/answer pairs: basic or compound, rendered from gold."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hum.formats import FORMATS, Format, ParseError
from hum.guidelines import load_guidelines, render_guidelines
from hum.instructions import SYSTEM, Parts, fill, user_message
from hum.io import Record
from hum.pool import load_pool
from hum.prepare import load_labelsets
from hum.rules import RULES, apply_rules
from hum.step import Step
from hum.tasks import TASKS, Query, Row


@dataclass(frozen=True)
class Context:
    """What generation needs besides the record: pools, label sets, guidelines and parameters."""

    descriptions: dict[tuple[str, str, str], list[Record]]
    labelsets: dict[str, list[str]]
    guidelines: dict[str, dict[str, Any]]
    params: dict[str, Any]
    seed: int


def record_rng(seed: int, record_id: str, k: int) -> random.Random:
    """An RNG per (seed, record, k): output never depends on order, batching or resumption."""
    return random.Random(f"{seed}:{record_id}:{k}")


def instruction_lang(record: Record, ctx: Context) -> str:
    """Instructions speak the language of their input unless `generate.instruction_lang` says otherwise."""
    return str(ctx.params.get("instruction_lang") or record["lang"])


def pick_rules(query: Query, rng: random.Random, most: int) -> list[str]:
    """Up to `most` applicable rules, at most one per family."""
    families: dict[str, list[str]] = {}
    for rule in RULES.values():
        if rule.applies(query):
            families.setdefault(rule.family, []).append(rule.id)
    chosen = rng.sample(sorted(families), k=min(most, len(families)))
    return sorted(rng.choice(families[f]) for f in chosen)


class UnusableSeedError(ValueError):
    """A seed record that cannot give an instruction under the configuration; the reason goes to rejects."""


def instruction(record: Record, ctx: Context, k: int) -> Record:
    """The k-th instruction for a seed record, with everything needed to check it in `meta`."""
    rng = record_rng(ctx.seed, f"{record['dataset']}/{record['id']}", k)
    p = ctx.params
    task, lang = TASKS[record["task"]], instruction_lang(record, ctx)
    labelset = ctx.labelsets[record["dataset"]]
    if task.labelled and not labelset:
        raise UnusableSeedError(f"dataset {record['dataset']!r} has an empty label set")
    query = task.query(record, labelset, rng, rng.choice([s for s in p["subtasks"][task.name] if s in task.subtasks]))
    if query.subtask not in p["subtasks"][task.name]:
        raise UnusableSeedError(f"sub-task {query.subtask!r} is not enabled for {task.name!r}")
    descriptions = ctx.descriptions.get((lang, task.name, query.subtask))
    if not descriptions:
        raise UnusableSeedError(f"no descriptions for {(lang, task.name, query.subtask)}")
    description = rng.choice(descriptions)
    compound = rng.random() < p["compound_ratio"]
    guide, guide_ids = "", list[str]()
    if compound and rng.random() < p["p_guidelines"]:
        guide, guide_ids = render_guidelines(guideline_entries(ctx, record["dataset"], lang), query.labels, lang)
    rule_ids = pick_rules(query, rng, rng.randint(1, p["max_rules"])) if compound and rng.random() < p["p_rules"] else []
    stated_format = compound and (rng.random() < p["p_format"] or not (guide or rule_ids))
    rows, empty = apply_rules(rule_ids, query)
    fmt = renderable(FORMATS[rng.choice(list(p["formats"])) if stated_format else p["basic_format"]], rows, query.columns, empty)
    text = Parts(
        description=fill(description["text"], query, lang),
        text=record["text"],
        guidelines=guide,
        rules=tuple(RULES[r].describe(lang) for r in rule_ids),
        format_spec=fmt.describe(query.columns, lang) if stated_format else "",
    )
    meta = {
        "task": task.name,
        "subtask": query.subtask,
        "dataset": record["dataset"],
        "seed_id": record["id"],
        "lang": lang,
        "kind": "compound" if compound else "basic",
        "format": fmt.name,
        "rules": rule_ids,
        "guidelines": guide_ids,
        "description_id": description["id"],
        "columns": list(query.columns),
        "label_column": query.label_column,
        "labels": query.labels,
        "gold": [list(r) for r in query.rows],
        "offsets": [list(o) for o in query.offsets],
    }
    messages = [
        {"role": "system", "content": SYSTEM[lang]},
        {"role": "user", "content": user_message(text, query, lang)},
        {"role": "assistant", "content": fmt.render(rows, query.columns, empty)},
    ]
    return {"id": f"{record['dataset']}/{record['id']}#{k}", "messages": messages, "meta": meta}


def guideline_entries(ctx: Context, dataset: str, lang: str) -> dict[str, Any]:
    """A dataset's accepted guideline entries, if they are written in the instruction's language."""
    guideline = ctx.guidelines.get(dataset, {})
    return dict(guideline.get("labels", {})) if guideline.get("lang") == lang else {}


def renderable(fmt: Format, rows: list[Row], columns: tuple[str, ...], empty: str | None) -> Format:
    """`fmt`, or JSON when a value cannot survive `fmt` (a separator or newline in it, or the empty form itself)."""
    for candidate in (fmt, FORMATS["json"]):
        try:
            if candidate.parse(candidate.render(rows, columns, empty), columns, empty) == rows:
                return candidate
        except ParseError:
            continue
    raise UnusableSeedError("the answer cannot be written in any format")


def instructions_for(record: Record, ctx: Context) -> list[Record]:
    """All instructions for one seed record."""
    return [instruction(record, ctx, k) for k in range(ctx.params["per_record"])]


class Generate(Step):
    """Seed records in, instruction records out (`per_record` each)."""

    name = "generate"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    def process(self, batch: list[Record]) -> list[Record]:
        out = []
        for record in batch:
            try:
                out += instructions_for(record, self.ctx)
            except UnusableSeedError as exc:
                self.reject(record, str(exc))
        return out


def load_context(prepared: Path, pool: Path, guidelines: Path, params: dict[str, Any], seed: int) -> Context:
    """Everything generation reads besides the seed records."""
    return Context(load_pool(pool), load_labelsets(prepared), load_guidelines(guidelines), params, seed)
