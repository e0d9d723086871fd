from __future__ import annotations

import random

import pytest

from hum.guidelines import guideline_for, load_guidelines, render_guidelines
from hum.phrasing import load_phrasings

CFG = {"label_dropout": 0.0, "p_examples": 1.0}


@pytest.fixture(scope="module")
def guidelines(root):
    return load_guidelines(root / "data/guidelines")


@pytest.fixture(scope="module")
def phrasings(root):
    return load_phrasings(root / "data/templates")


def test_labels_match_by_alias_and_case(guidelines):
    found = guideline_for(["PER", "LOC", "Company", "unknown"], "en", guidelines, 0.5)
    assert found is not None
    assert found.name == "wnut17"
    assert found.entry("PERSON") is found.entry("person")
    assert found.entry("unknown") is None


def test_best_covering_file_wins_and_coverage_is_required(guidelines):
    assert guideline_for(["person", "algorithm", "programlang"], "en", guidelines, 0.5).name == "crossner_ai"
    assert guideline_for(["person", "x1", "x2", "x3"], "en", guidelines, 0.5) is None
    assert guideline_for(["person"], "zh", guidelines, 0.1) is None  # no Chinese guideline file ships


def test_event_roles_match_without_their_prefix(guidelines):
    found = guideline_for(["Adverse_event", "role:Subject", "role:Treatment"], "en", guidelines, 0.5)
    assert found is not None
    assert found.name == "phee"
    assert found.entry("role:Subject") is found.entry("Subject")


def test_render_names_each_label_with_its_definition(guidelines, phrasings):
    wnut = next(g for g in guidelines if g.name == "wnut17")
    text, used = render_guidelines(wnut, ["PER", "nothing", "location"], "en", random.Random(0), phrasings=phrasings, cfg=CFG)
    assert used == ["PER", "location"]
    lines = text.splitlines()
    assert len(lines) == 2
    assert "PER" in lines[0]
    assert wnut.entry("person")["definition"] in lines[0]
    assert "Redondo Beach Blvd" in lines[1]


def test_dropout_leaves_labels_out(guidelines, phrasings):
    wnut = next(g for g in guidelines if g.name == "wnut17")
    labels = list(wnut.entries)
    cfg = {**CFG, "label_dropout": 0.5}
    kept = [len(render_guidelines(wnut, labels, "en", random.Random(s), phrasings=phrasings, cfg=cfg)[1]) for s in range(20)]
    assert min(kept) < len(labels)
    assert max(kept) > 0


def test_bad_guideline_file_names_the_field(tmp_path):
    (tmp_path / "x.yaml").write_text("lang: en\nlabels:\n  a: {examples: [b]}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x.yaml: label 'a': field 'definition': missing or not text"):
        load_guidelines(tmp_path)


def test_each_label_draws_its_own_line(guidelines, phrasings):
    """Draws keyed by label: stating one more label leaves every other label's line (or its absence) as it was."""
    wnut = next(g for g in guidelines if g.name == "wnut17")
    labels = list(wnut.entries)
    cfg = {"label_dropout": 0.3, "p_examples": 0.5}
    for seed in range(30):
        text, used = render_guidelines(wnut, labels[1:], "en", random.Random(seed), phrasings=phrasings, cfg=cfg)
        more, more_used = render_guidelines(wnut, labels, "en", random.Random(seed), phrasings=phrasings, cfg=cfg)
        lines = dict(zip(more_used, more.splitlines(), strict=True))
        assert [lab for lab in more_used if lab != labels[0]] == used
        assert [lines[lab] for lab in used] == text.splitlines()
