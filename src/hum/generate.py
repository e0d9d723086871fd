"""Turn one prepared seed record into instruction/answer pairs: basic or compound, rendered from gold."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from hum.draws import Draws, Keyed, keyed
from hum.formats import FORMATS, Format, ParseError
from hum.guidelines import Guideline, guideline_for, load_guidelines, render_guidelines
from hum.instructions import Parts, fill, user_message
from hum.io import Record
from hum.phrasing import Phrasings, load_phrasings
from hum.pool import load_pool
from hum.prepare import load_labelsets, train_records
from hum.records import meta_record
from hum.requests import gold_request, request_text
from hum.rules import RULES, apply_rules, for_task, pick_rules, rule_columns
from hum.seedstats import SeedStats, seed_stats
from hum.step import Step
from hum.tasks import TASKS, Query, Row
from hum.tasks.base import Draw


@dataclass(frozen=True)
class Context:
    """What generation needs besides the record: pools, label sets, guidelines, seed statistics and parameters."""

    descriptions: dict[tuple[str, str, str], list[Record]]
    labelsets: dict[str, list[str]]
    guidelines: list[Guideline]
    phrasings: Phrasings
    stats: dict[str, SeedStats]
    params: dict[str, Any]
    seed: int
    _chosen: dict[tuple[str, str], Guideline | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    _formats: dict[int, Keyed[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _rules: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _described: dict[tuple[str, str, str], Keyed[Record]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _draws: dict[tuple[str, bool], Draw] = field(default_factory=dict, init=False, repr=False, compare=False)

    def guideline(self, dataset: str, lang: str) -> Guideline | None:
        """The guideline file that covers a dataset's label set in `lang`, if any (chosen once per dataset and language)."""
        key = (dataset, lang)
        if key not in self._chosen:
            cover = self.params["guidelines"]["min_coverage"]
            self._chosen[key] = guideline_for(self.labelsets[dataset], lang, self.guidelines, cover)
        return self._chosen[key]

    def formats(self, width: int) -> Keyed[str]:
        """The formats of `generate.formats` that can write an answer of `width` columns (worked out once per width)."""
        if width not in self._formats:
            self._formats[width] = keyed(f for f in self.params["formats"] if FORMATS[f].min_columns <= width)
        return self._formats[width]

    def rules(self, fmt: Format, task: str) -> tuple[str, ...]:
        """`enabled_rules` for `fmt` that a query of `task` may state (worked out once per format and task)."""
        if (fmt.name, task) not in self._rules:
            self._rules[fmt.name, task] = for_task(enabled_rules(self.params, fmt), task)
        return self._rules[fmt.name, task]

    def described(self, lang: str, task: str, subtask: str) -> Keyed[Record]:
        """The descriptions of a sub-task in `lang`, keyed by id (once per sub-task and language); empty when there are none."""
        key = (lang, task, subtask)
        if key not in self._described:
            self._described[key] = keyed(self.descriptions.get(key, []), key=lambda d: d["id"])
        return self._described[key]

    def label_draw(self, dataset: str, empty: bool) -> Draw:
        """How queries on `dataset` draw their labels, aiming at an empty answer or not (made once per dataset and aim)."""
        if (dataset, empty) not in self._draws:
            p_hard, neighbours = self.params["p_hard_negative"], self.stats[dataset].neighbours
            self._draws[dataset, empty] = Draw(self.labelsets[dataset], empty, p_hard, neighbours)
        return self._draws[dataset, empty]

    @cached_property
    def layouts(self) -> Keyed[str]:
        """The layouts of `generate.layouts`, keyed once."""
        return keyed(self.params["layouts"])


def record_draws(ctx: Context, record: Record, k: int | str) -> Draws:
    """The draws of one (seed, record, k): output never depends on order, batching, resumption or other decisions."""
    return Draws(ctx.seed, f"{record['dataset']}/{record['id']}", k)


def instruction_lang(record: Record, ctx: Context) -> str:
    """Instructions speak the language of their input unless `generate.instruction_lang` says otherwise."""
    return str(ctx.params.get("instruction_lang") or record["lang"])


EMPTYING = frozenset({"subset"})  # rule families that can drop every gold row


class UnusableSeedError(ValueError):
    """A seed record that cannot give an instruction under the configuration; the reason goes to rejects."""


def aim(record: Record, ctx: Context, draws: Draws) -> bool | None:
    """Whether this instruction aims at an empty answer; None skips a gold-less seed over the empty-answer target.

    A null target takes every seed as it is (evaluation prompts: the record's own gold, empty or not).
    """
    if ctx.params["empty"]["target"] is None:
        return TASKS[record["task"]].bare(record)
    target = float(ctx.params["empty"]["target"])
    bare = ctx.stats[record["dataset"]].bare_share
    if TASKS[record["task"]].bare(record):
        keep = 1.0 if bare <= target else target * (1 - bare) / (bare * (1 - target))
        return True if draws.chance("empty", keep) else None
    return draws.chance("empty", max(0.0, (target - bare) / (1 - bare)))


def negative_passage(record: Record, ctx: Context, rng: random.Random) -> Record | None:
    """The question over another passage of its dataset that holds none of its answers (SQuAD 2.0-style)."""
    answers = [a["text"].casefold() for a in record["answers"]]
    passages = ctx.stats[record["dataset"]].passages
    for _ in range(5 if passages else 0):
        other = rng.choice(passages)
        if other != record["text"] and not any(a in other.casefold() for a in answers):
            return {**record, "text": other, "answers": []}
    return None


@dataclass(frozen=True)
class Statement:
    """What a compound instruction states besides its description: guidelines, rules and format."""

    guide: str = ""
    guide_labels: tuple[str, ...] = ()
    guideline: str | None = None
    rule_ids: tuple[str, ...] = ()
    fmt: str = "json"
    stated_format: bool = False


def seed_query(record: Record, ctx: Context, draws: Draws) -> tuple[Record, Query] | None:
    """The (possibly negative-passage) record and the query asked of it; None when the empty target skips it."""
    task, p = TASKS[record["task"]], ctx.params
    if task.labelled and not ctx.labelsets[record["dataset"]]:
        raise UnusableSeedError(f"dataset {record['dataset']!r} has an empty label set")
    empty_aim = aim(record, ctx, draws)
    if empty_aim is None:
        return None
    if task.name == "mrc" and empty_aim and not task.bare(record) and p["empty"]["mrc_negatives"]:
        record = negative_passage(record, ctx, draws.rng("negative")) or record
    draw = ctx.label_draw(record["dataset"], empty_aim)
    subtask = draws.pick("subtask", [s for s in p["subtasks"][task.name] if s in task.subtasks])
    query = task.query(record, draw, draws.rng("labels"), subtask)
    if query.subtask not in p["subtasks"][task.name]:
        raise UnusableSeedError(f"sub-task {query.subtask!r} is not enabled for {task.name!r}")
    return record, query


def with_reason(query: Query, guideline: Guideline | None) -> None:
    """Give a single-label classification query its label's accepted definition, for the `cls:reason` rule."""
    entry = guideline.entry(query.rows[0][0]) if guideline and query.subtask == "classify" and len(query.rows) == 1 else None
    if entry:
        query.slots["reason"] = str(entry["definition"])


def enabled_rules(params: dict[str, Any], fmt: Format) -> frozenset[str]:
    """The rules `generate.rules` switches on (every registered rule when it is absent) that `fmt` can be stated with."""
    return frozenset(r for r in params.get("rules", RULES) if r in RULES and RULES[r].family not in fmt.conflicts)


def statement(query: Query, ctx: Context, draws: Draws, guideline: Guideline | None, lang: str) -> Statement:
    """Guidelines, rules and format of a compound instruction: at least one of them, never conflicting.

    The format comes first, so rules are drawn only among those it can be stated with: a rule is never
    drawn just to be dropped, which would make records change with rules they do not state.
    """
    p = ctx.params
    guide, labels = "", list[str]()
    if guideline and draws.chance("with_guidelines", p["guidelines"]["p_instruction"]):
        guide, labels = render_guidelines(
            guideline, query.labels, lang, draws.rng("guidelines"), phrasings=ctx.phrasings, cfg=p["guidelines"]
        )
    fits = ctx.formats(len(query.columns))
    stated = draws.chance("with_format", p["p_format"])
    fmt = FORMATS[draws.pick("format", fits) if stated else p["basic_format"]]
    rule_ids: list[str] = []
    if draws.chance("with_rules", p["p_rules"]):
        rule_ids = pick_rules(query, draws, draws.rng("rule_count").randint(1, p["max_rules"]), ctx.rules(fmt, query.task))
    if not (guide or rule_ids or stated):
        stated, fmt = True, FORMATS[draws.pick("format", fits)]
    if query.rows and not apply_rules(rule_ids, query):  # a subset that empties the answer breaks the aim
        rule_ids = [r for r in rule_ids if RULES[r].family not in EMPTYING]
    return Statement(guide, tuple(labels), guideline.name if labels and guideline else None, tuple(rule_ids), fmt.name, stated)


def instruction(record: Record, ctx: Context, k: int) -> Record | None:
    """The k-th instruction for a seed record, with everything needed to check it in `meta`; None when skipped."""
    draws = record_draws(ctx, record, k)
    phrasings, lang = ctx.phrasings, instruction_lang(record, ctx)
    asked = seed_query(record, ctx, draws)
    if asked is None:
        return None
    seed_record, query = asked
    guideline = ctx.guideline(record["dataset"], lang)
    with_reason(query, guideline)
    descriptions = ctx.described(lang, query.task, query.subtask)
    if not descriptions.items:
        raise UnusableSeedError(f"no descriptions for {(lang, query.task, query.subtask)}")
    description = draws.pick("description", descriptions)
    layout = phrasings.layouts[draws.pick("layout", ctx.layouts)]
    compound = draws.chance("compound", ctx.params["compound_ratio"])
    said = statement(query, ctx, draws, guideline, lang) if compound else Statement(fmt=ctx.params["basic_format"])
    empty_rule = next((r for r in said.rule_ids if RULES[r].states_empty), None)
    empty = phrasings.pick(draws.rng("phrase:empty"), "empty", empty_rule, lang).text if empty_rule else None
    columns = rule_columns(said.rule_ids, query.columns)
    fmt, answer = renderable(FORMATS[said.fmt], apply_rules(list(said.rule_ids), query), columns, empty)
    rule_phrases = [phrasings.pick(draws.rng(f"phrase:rule:{r}"), "rule", r, lang) for r in said.rule_ids]
    single = query.subtask in TASKS[query.task].single
    spec = (
        phrasings.format_spec(draws.rng("phrase:format"), fmt.name, lang, len(columns), single=single)
        if said.stated_format
        else None
    )
    system = phrasings.pick(draws.rng("phrase:system"), "system", lang) if layout.system else None
    stated_rules = zip(said.rule_ids, rule_phrases, strict=True)
    parts = Parts(
        description=fill(description["text"], query, lang),
        text=seed_record["text"],
        guidelines=said.guide,
        rules=tuple(ph.text.format(**RULES[ph_rule].slots(query, lang), empty=empty) for ph_rule, ph in stated_rules),
        format_spec=fmt.describe(spec.text, columns) if spec else "",
    )
    user, text_span = user_message(parts, query, lang, layout)
    negative = seed_record is not record
    meta = meta_record(
        task=query.task, subtask=query.subtask, dataset=record["dataset"], seed_id=record["id"], lang=lang,
        kind="compound" if compound else "basic", format=fmt.name, rules=list(said.rule_ids), empty=empty,
        guidelines=list(said.guide_labels), guideline_file=said.guideline, description_id=description["id"],
        description_source=f"{description['source']}/{description.get('status', 'accepted')}", layout=layout.id,
        phrasings={"system": system and system.id, "format": spec and spec.id, "rules": [ph.id for ph in rule_phrases]},
        negative=negative, fallback=fmt.name != said.fmt, columns=list(query.columns), label_column=query.label_column,
        labels=query.labels, slots=query.slots, gold=[list(r) for r in query.rows], offsets=[list(o) for o in query.offsets],
        text_span=list(text_span),
    )  # fmt: skip
    messages = [{"role": "system", "content": system.text}] if system else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return {"id": f"{record['dataset']}/{record['id']}#{k}", "messages": messages, "meta": meta}


def renderable(fmt: Format, rows: list[Row], columns: tuple[str, ...], empty: str | None) -> tuple[Format, str]:
    """`fmt` and the answer in it, or JSON when a value cannot survive `fmt` (a separator in it, the empty form)."""
    for candidate in (fmt, FORMATS["json"]):
        arranged = candidate.arrange(rows)
        try:
            text = candidate.render(arranged, columns, empty)
        except ParseError:
            continue
        if candidate.reads_back(text, arranged, columns, empty):
            return candidate, text
    raise UnusableSeedError("the answer cannot be written in any format")


def gold_generalist(record: Record, ctx: Context) -> Record | None:
    """With chance `p_request`, a free-form request derived from the record's gold, its answer computed from it."""
    draws, lang = record_draws(ctx, record, "request"), instruction_lang(record, ctx)
    wanted = draws.chance("with_request", ctx.params["p_request"])
    made = gold_request(record, ctx.labelsets[record["dataset"]], draws.rng("request"), lang, ctx.phrasings) if wanted else None
    if made is None:
        return None
    ask, phrase = made
    layout = ctx.phrasings.layouts[draws.pick("layout", ctx.layouts)]
    system = ctx.phrasings.pick(draws.rng("phrase:system"), "system", lang) if layout.system else None
    query = Query("generalist", ask.kind, ("answer",), [(ask.answer,)], slots=dict(ask.slots))
    user, text_span = user_message(Parts(request_text(ask, phrase), record["text"]), query, lang, layout)
    meta = meta_record(
        task="generalist", subtask=ask.kind, dataset=record["dataset"], seed_id=record["id"], lang=lang, kind="basic",
        description_id=phrase.id, description_source="human/accepted", layout=layout.id, columns=["answer"],
        slots=query.slots, gold=[[ask.answer]], text_span=list(text_span),
        phrasings={"system": system and system.id, "format": None, "rules": []},
    )  # fmt: skip
    messages = [{"role": "system", "content": system.text}] if system else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": ask.answer}]
    return {"id": f"{record['dataset']}/{record['id']}#r", "messages": messages, "meta": meta}


def instructions_for(record: Record, ctx: Context) -> list[Record]:
    """The instructions for one seed record that the empty-answer target keeps, and its gold-derived request."""
    made = [instruction(record, ctx, k) for k in range(ctx.params["per_record"])] + [gold_generalist(record, ctx)]
    return [r for r in made if r is not None]


class Generate(Step):
    """Seed records in, instruction records out (`per_record` each, fewer when the empty-answer target skips some)."""

    name = "generate"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx

    def process(self, batch: list[Record]) -> list[Record]:
        out = []
        for record in batch:
            try:
                made = instructions_for(record, self.ctx)
            except UnusableSeedError as exc:
                self.reject(record, str(exc))
                continue
            self.stats["skipped: over the empty-answer target"] += self.ctx.params["per_record"] - sum(
                r["meta"]["task"] != "generalist" for r in made
            )
            out += made
        return out


def load_context(
    prepared: Path, templates: Path, proposals: Path | None, guidelines: Path, *, params: dict[str, Any], seed: int
) -> Context:
    """Everything generation reads besides the seed records: pools, reviews, guidelines and dataset statistics."""
    labelsets, guides = load_labelsets(prepared), load_guidelines(guidelines)
    descriptions = load_pool(templates / "descriptions.yaml", proposals, templates / "reviews.yaml", params["unreviewed"])
    stats = seed_stats(train_records(prepared, exclude_task="general"), labelsets, guides, params["guidelines"]["min_coverage"])
    return Context(descriptions, labelsets, guides, load_phrasings(templates), stats, params, seed)
