"""Registries that grow without reshuffling (issue 20), on the real seed samples.

Adding a rule, a format, a description, a phrasing, a layout or a dataset must leave every record that
does not use the new item byte-identical: each random decision draws from its own keyed stream. New items
go first in their lists, so a choice by position (not by key) would show.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from typing import ClassVar

import pytest

import hum.rules as registry
from conftest import FORMATS, GEN_PARAMS, LAYOUTS, generation_context, prepare_samples
from hum.generate import Context, Generate
from hum.io import dumps
from hum.phrasing import Phrase
from hum.prepare import train_records
from hum.rules import RULES, Rule
from hum.tasks import TASKS

DATASETS = ("wnut17", "semeval2010_task8", "xquad_en", "xquad_zh", "banking77", "phee", "carb")
EXTRA = "crossner_music"  # the dataset added later
NEW_FORMAT, NEW_LAYOUT = "yaml", "bracketed"  # left out of the baseline, added later
PARAMS = {
    **GEN_PARAMS,
    "subtasks": {name: list(task.subtasks) for name, task in TASKS.items()},
    "formats": [f for f in FORMATS if f != NEW_FORMAT],
    "layouts": [lay for lay in LAYOUTS if lay != NEW_LAYOUT],
    "rules": list(RULES),
}

Corpus = dict[str, str]  # record id -> the record as written


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Prepared seeds (25 per dataset) without the extra dataset, and with it."""
    base, grown = tmp_path_factory.mktemp("base"), tmp_path_factory.mktemp("grown")
    prepare_samples([*DATASETS, EXTRA], grown, 25)
    for path in grown.iterdir():
        if not path.name.startswith(f"{EXTRA}."):
            shutil.copy(path, base)
    return base, grown


@pytest.fixture(scope="module")
def ctx(folders) -> Context:
    return generation_context(folders[0], 13, **PARAMS)


@pytest.fixture(scope="module")
def seeds(folders):
    return list(train_records(folders[0], "general"))


def corpus(ctx: Context, seeds) -> Corpus:
    """The records generated from `seeds`, as written, by id."""
    made, rejected = Generate(ctx)(seeds)
    assert rejected == []
    return {r["id"]: dumps(r) for r in made}


def meta(written: str) -> dict:
    return json.loads(written)["meta"]


@pytest.fixture(scope="module")
def baseline(ctx, seeds) -> Corpus:
    made = corpus(ctx, seeds)
    assert {r.split("/")[0] for r in made} == set(DATASETS)
    return made


def only_users_change(before: Corpus, after: Corpus, uses) -> None:
    """Every record of `before` that does not use the new item (`uses` of its meta) is byte-identical after."""
    assert before.keys() <= after.keys()
    users = {i for i, r in after.items() if uses(meta(r))}
    assert users, "no record uses the new item: the check proves nothing"
    assert [i for i in before if i not in users and after[i] != before[i]] == []


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others(folders, ctx, seeds, baseline):
    assert corpus(ctx, seeds) == baseline
    assert corpus(generation_context(folders[0], 13, **PARAMS), seeds[::-1]) == baseline  # afresh, in another order
    other = corpus(replace(ctx, seed=14), seeds)
    shared = other.keys() & baseline.keys()
    assert sum(other[i] != baseline[i] for i in shared) > 0.9 * len(shared)


class Tidy(Rule):
    """A new family: a convention every query can state, which changes no gold row."""

    id, family, rank = "tidy:plain", "tidy", max(r.rank for r in RULES.values()) + 1


class OrderAsGiven(Rule):
    """A new rule of a family that has some."""

    id, family, rank = "order:given", "order", RULES["order:text"].rank
    tasks: ClassVar[frozenset[str] | None] = None


NEW_RULES = (Tidy(), OrderAsGiven())


@pytest.fixture
def grown_rules(monkeypatch, ctx) -> Context:
    """The registry with two more rules, and their phrasings in a copy of the phrasing set."""
    for rule in NEW_RULES:
        monkeypatch.setitem(registry.RULES, rule.id, rule)
    said = {"en": ["State it plainly.", "Keep it plain."], "zh": ["请直接作答。"]}
    pools = {
        ("rule", r.id, lang): [Phrase(f"{r.id}.{lang}.{i}", t) for i, t in enumerate(ts)]
        for r in NEW_RULES
        for lang, ts in said.items()
    }
    return replace(ctx, phrasings=replace(ctx.phrasings, pools=ctx.phrasings.pools | pools))


def test_a_registered_rule_changes_only_the_records_that_state_it(grown_rules, seeds, baseline):
    params = {**PARAMS, "rules": [*PARAMS["rules"], *(r.id for r in NEW_RULES)]}
    after = corpus(replace(grown_rules, params=params), seeds)
    only_users_change(baseline, after, lambda m: {r.id for r in NEW_RULES} & set(m["rules"]))
    for rule in NEW_RULES:
        assert any(rule.id in meta(r)["rules"] for r in after.values()), rule.id


def test_a_registered_rule_the_config_leaves_off_changes_nothing(grown_rules, seeds, baseline):
    assert corpus(grown_rules, seeds) == baseline


def test_a_format_added_to_the_config_changes_only_the_records_in_it(ctx, seeds, baseline):
    after = corpus(replace(ctx, params={**PARAMS, "formats": [NEW_FORMAT, *PARAMS["formats"]]}), seeds)
    # a record that drew the new format but could not be written in it falls back to JSON: it uses the format too
    only_users_change(baseline, after, lambda m: m["format"] == NEW_FORMAT or m["fallback"])
    assert any(meta(r)["format"] == NEW_FORMAT for r in after.values())


def test_a_layout_added_to_the_config_changes_only_the_records_in_it(ctx, seeds, baseline):
    after = corpus(replace(ctx, params={**PARAMS, "layouts": [NEW_LAYOUT, *PARAMS["layouts"]]}), seeds)
    only_users_change(baseline, after, lambda m: m["layout"] == NEW_LAYOUT)


def test_a_description_added_to_the_pool_changes_only_the_records_that_use_it(ctx, seeds, baseline):
    new = {group: {**pool[0], "id": f"{pool[0]['id']}.new"} for group, pool in ctx.descriptions.items()}
    grown = {group: sorted([*pool, new[group]], key=lambda d: d["id"]) for group, pool in ctx.descriptions.items()}  # as loaded
    after = corpus(replace(ctx, descriptions=grown), seeds)
    only_users_change(baseline, after, lambda m: m["description_id"].endswith(".new"))


def test_a_phrasing_added_to_a_pool_changes_only_the_records_that_use_it(ctx, seeds, baseline):
    pools = dict(ctx.phrasings.pools)
    for lang in ("en", "zh"):
        pools["system", lang] = [Phrase(f"system.{lang}.new", "You answer with care."), *pools["system", lang]]
    after = corpus(replace(ctx, phrasings=replace(ctx.phrasings, pools=pools)), seeds)
    only_users_change(baseline, after, lambda m: str(m["phrasings"]["system"]).endswith(".new"))


def test_a_dataset_added_changes_no_record_of_the_others(folders, seeds, baseline):
    grown = folders[1]
    after = corpus(generation_context(grown, 13, **PARAMS), list(train_records(grown, "general")))
    only_users_change(baseline, after, lambda m: m["dataset"] == EXTRA)
    assert {i.split("/")[0] for i in after.keys() - baseline.keys()} == {EXTRA}
