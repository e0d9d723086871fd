"""The human description pool: enough seeds per sub-task, each one a well-formed request of its task."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from hum.instructions import is_request
from hum.pool import human_descriptions

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
MIN_COUNT = {"en": 20, "zh": 10}
MAX_SIMILARITY = 90  # fuzz.ratio, casefolded, between any two descriptions of one sub-task
PLACEHOLDERS = {  # each exactly once
    ("ner", "extract"): ["{labels}"],
    ("ner", "by_type"): ["{label}"],
    ("re", "triples"): ["{labels}"],
    ("re", "by_relation"): ["{label}"],
    ("re", "by_pair"): ["{head}", "{labels}", "{tail}"],
    ("mrc", "extractive"): [],
    ("cls", "classify"): ["{labels}"],
    ("cls", "multi"): ["{labels}"],
    ("ee", "triggers"): ["{labels}"],
    ("ee", "arguments"): ["{event_type}", "{labels}", "{trigger}"],
    ("oie", "tuples"): [],
}


@pytest.fixture(scope="module")
def pool(root: Path) -> list[dict]:
    return human_descriptions(root / "data/templates/descriptions.yaml")


@pytest.fixture(scope="module")
def groups(pool: list[dict]) -> dict[tuple[str, str, str], list[dict]]:
    out: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for d in pool:
        out[d["lang"], d["task"], d["subtask"]].append(d)
    return dict(out)


def test_every_subtask_has_enough_descriptions_in_each_language(groups):
    expected = {(lang, task, subtask) for lang in MIN_COUNT for task, subtask in PLACEHOLDERS}
    assert set(groups) == expected
    short = {key: len(ds) for key, ds in groups.items() if len(ds) < MIN_COUNT[key[0]]}
    assert not short, f"too few descriptions: {short}"


def test_placeholders_are_those_of_the_subtask(pool):
    for d in pool:
        assert sorted(PLACEHOLDER.findall(d["text"])) == PLACEHOLDERS[d["task"], d["subtask"]], d["id"]
        rest = PLACEHOLDER.sub("", d["text"])
        assert "{" not in rest, d["id"]
        assert "}" not in rest, d["id"]


def test_every_description_keeps_a_keyword_of_its_task(pool):
    for d in pool:
        assert any(k in PLACEHOLDER.sub("", d["text"]).casefold() for k in d["keywords"]), d["id"]


def test_every_description_is_a_request(pool):
    assert [d["id"] for d in pool if not is_request(d["text"], d["lang"])] == []


def test_no_near_copies_within_a_subtask(groups):
    close = [
        (a["id"], b["id"], round(score))
        for ds in groups.values()
        for a, b in itertools.combinations(ds, 2)
        if (score := fuzz.ratio(a["text"].casefold(), b["text"].casefold())) >= MAX_SIMILARITY
    ]
    assert not close, close


def test_chinese_descriptions_use_full_width_punctuation(pool):
    for d in pool:
        if d["lang"] == "zh":
            assert not re.search(r"[,;:?!()]|\.$", d["text"]), d["id"]
