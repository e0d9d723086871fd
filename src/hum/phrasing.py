"""Phrasing pools: the sentences that state rules and formats, gold requests, the empty-answer forms and the layouts.

Phrasing is data: every sentence lives in versioned YAML under `data/templates/` (one file per rule
family and per format), so a person can review, add or edit one without touching code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hum.draws import Draws, Keyed, keyed

PARTS = ("description", "guidelines", "rules", "format", "text", "question")


@dataclass(frozen=True)
class Phrase:
    """One pooled sentence and its stable id (recorded in each record's meta)."""

    id: str
    text: str


@dataclass(frozen=True)
class Layout:
    """How an instruction is laid out: part order, lead-ins per language, rule bullets, system message, text fence."""

    id: str
    system: bool
    order: tuple[str, ...]
    heads: dict[str, dict[str, str]]
    fence: str
    item: str = "{i}. "


@dataclass(frozen=True)
class Phrasings:
    """Every phrasing pool, keyed for lookup; `pick` draws one phrase with the caller's RNG."""

    pools: dict[tuple[str, ...], list[Phrase]] = field(default_factory=dict)
    layouts: dict[str, Layout] = field(default_factory=dict)
    _keyed: dict[tuple[str, ...], Keyed[Phrase]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def pick(self, rng: random.Random, *key: str) -> Phrase:
        """One phrase of the pool `key`, by phrase id (rendezvous): a phrase added to a pool changes only what it wins.

        `rng` should be the caller's own for this decision: the pick takes one draw from it. A missing pool is
        a clear error naming the key.
        """
        if key not in self._keyed:  # phrase ids encoded once per pool: every instruction picks from several
            pool = self.pools.get(key)
            if not pool:
                raise KeyError(f"no phrasings for {'/'.join(key)}")
            self._keyed[key] = keyed(pool, key=lambda phrase: phrase.id)
        return Draws.from_rng(rng).pick("phrase", self._keyed[key])

    def has(self, *key: str) -> bool:
        """Whether the pool `key` has at least one phrase."""
        return bool(self.pools.get(key))

    def format_spec(self, rng: random.Random, name: str, lang: str, width: int, *, single: bool = False) -> Phrase:
        """A format's spec phrasing from the most specific of its pools: never "one result per line" for a single answer.

        `single` (an answer of one item at most, in one column: a class label, an answer span), then `one` (one
        column) or `many` (several), then `any`. A single item of several columns (a label and its reason) takes
        `many`: how a format writes several fields differs with their number, and `many` names them.
        """
        width_shape = "one" if width == 1 else "many"
        shapes = ("single", width_shape) if single and width == 1 else (width_shape,)
        return self.pick(rng, "format", name, lang, next((s for s in shapes if self.has("format", name, lang, s)), "any"))


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc


def _phrases(path: Path, prefix: str, texts: Any) -> list[Phrase]:
    if not isinstance(texts, list) or not all(isinstance(t, str) and t.strip() for t in texts):
        raise ValueError(f"{path}: field '{prefix}': expected a list of non-empty strings")
    return [Phrase(f"{prefix}.{i}", t) for i, t in enumerate(texts)]


def _rule_pools(path: Path) -> dict[tuple[str, ...], list[Phrase]]:
    """`rules/<family>.yaml`: rule id -> {lang: [sentences]}, and for empty rules `forms: {lang: [...]}`."""
    pools: dict[tuple[str, ...], list[Phrase]] = {}
    for rule_id, by_lang in (_yaml(path) or {}).items():
        for lang, texts in by_lang.items():
            if lang == "forms":
                pools |= {("empty", rule_id, lg): _phrases(path, f"{rule_id}.forms.{lg}", t) for lg, t in texts.items()}
            else:
                pools["rule", rule_id, lang] = _phrases(path, f"{rule_id}.{lang}", texts)
    return pools


def _format_pools(path: Path) -> dict[tuple[str, ...], list[Phrase]]:
    """`formats/<name>.yaml`: {lang: {one | many | any: [sentences]}}."""
    name = path.stem
    return {
        ("format", name, lang, shape): _phrases(path, f"format.{name}.{lang}.{shape}", texts)
        for lang, shapes in (_yaml(path) or {}).items()
        for shape, texts in shapes.items()
    }


def _request_pools(path: Path) -> dict[tuple[str, ...], list[Phrase]]:
    """`requests/<kind>.yaml`: {lang: [requests]} of one gold request kind (`hum.requests`)."""
    kind = path.stem
    pools = _yaml(path) or {}
    return {("request", kind, lang): _phrases(path, f"request.{kind}.{lang}", texts) for lang, texts in pools.items()}


def _layouts(path: Path) -> tuple[dict[tuple[str, ...], list[Phrase]], dict[str, Layout]]:
    """`layouts.yaml`: system messages and guideline lines per language, and the named layouts."""
    tree = _yaml(path)
    pools: dict[tuple[str, ...], list[Phrase]] = {
        ("system", lang): _phrases(path, f"system.{lang}", texts) for lang, texts in tree["system"].items()
    }
    for lang, shapes in tree["guideline"].items():
        pools |= {("guideline", lang, shape): _phrases(path, f"guideline.{lang}.{shape}", t) for shape, t in shapes.items()}
    return pools, {name: _layout(path, name, spec) for name, spec in tree["layouts"].items()}


def _layout(path: Path, name: str, spec: dict[str, Any]) -> Layout:
    """One named layout, checked so that neither the input text nor the question can pass for a part of the instruction."""
    where = f"{path}: layout '{name}'"
    order = tuple(spec["order"])
    if sorted(order) != sorted(PARTS):
        raise ValueError(f"{where}: field 'order' must list each of {', '.join(PARTS)} once")
    fence = spec.get("fence")
    if not isinstance(fence, str) or len(fence) != 1 or fence.isspace():
        raise ValueError(f"{where}: field 'fence' must be one visible character")
    for lang, heads in spec["heads"].items():
        if not heads["question"].rsplit("\n", 1)[-1].strip():  # a question opening a line could pass for a head
            raise ValueError(f"{where}: field 'heads.{lang}.question' must end in a lead-in on the question's own line")
    return Layout(name, bool(spec["system"]), order, spec["heads"], fence, spec.get("item", "{i}. "))


def load_phrasings(folder: str | Path) -> Phrasings:
    """All pools under `folder`: `rules/*.yaml`, `formats/*.yaml`, `requests/*.yaml` and `layouts.yaml`."""
    folder = Path(folder)
    pools: dict[tuple[str, ...], list[Phrase]] = {}
    for path in sorted((folder / "rules").glob("*.yaml")):
        pools |= _rule_pools(path)
    for path in sorted((folder / "formats").glob("*.yaml")):
        pools |= _format_pools(path)
    for path in sorted((folder / "requests").glob("*.yaml")):
        pools |= _request_pools(path)
    system, layouts = _layouts(folder / "layouts.yaml")
    return Phrasings(pools | system, layouts)
