from __future__ import annotations

import copy

import pytest

from hum.validate import Validate


def record(rid="r1", answer="person | Ann\nperson | Ann", rules=("dup:all",), fmt="lines"):
    return {
        "id": rid,
        "messages": [
            {"role": "system", "content": "You are precise."},
            {"role": "user", "content": "Find the persons.\n\nText:\nAnn saw Ann."},
            {"role": "assistant", "content": answer},
        ],
        "meta": {
            "task": "ner",
            "subtask": "extract",
            "format": fmt,
            "rules": list(rules),
            "columns": ["type", "entity"],
            "label_column": "type",
            "labels": ["person"],
            "gold": [["person", "Ann"], ["person", "Ann"]],
        },
    }


@pytest.fixture
def step():
    return Validate(max_user_chars=200, max_answer_chars=100)


def test_good_record_passes(step):
    good = [
        record(),
        record("r2", "person | Ann", ["dup:once"]),
        record("r3", "| type | entity |\n|---|---|\n| PERSON | Ann |", ["case:upper", "dup:once"], "table"),
    ]
    kept, rejected = step(good)
    assert kept == good
    assert rejected == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("person | Bob\nperson | Ann", "answer does not parse back to its gold annotation"),
        ("person | Ann", "answer does not parse back to its gold annotation"),  # dup:all wants both mentions
        ("person Ann", "answer does not parse: lines: expected 2 fields per item"),
    ],
)
def test_tampered_answer_rejected(step, answer, reason):
    bad = record(answer=answer)
    kept, rejected = step([record("ok"), bad])
    assert [r["id"] for r in kept] == ["ok"]
    assert rejected == [{"reason": reason, "record": bad}]
    assert step.stats[f"rejected: {reason}"] == 1


def test_structure_problems(step):
    wrong_roles = record("a")
    wrong_roles["messages"][0]["role"] = "user"
    too_long = record("b")
    too_long["messages"][1]["content"] = "x" * 201
    empty = record("c", answer="  ")
    kept, rejected = step([wrong_roles, too_long, empty, copy.deepcopy(record("a"))])
    assert kept == []
    assert {r["record"]["id"]: r["reason"] for r in rejected[:3]} == {
        "a": "messages are not (system,) user, assistant",
        "b": "instruction empty or over 200 characters",
        "c": "answer does not parse back to its gold annotation; answer empty or over 100 characters",
    }
    assert rejected[3]["reason"] == "duplicate id"


def test_duplicate_id_across_batches(step):
    step([record()])
    kept, rejected = step([record()])
    assert kept == []
    assert rejected[0]["reason"] == "duplicate id"
    assert step.summary() == "[validate] 2 in, 1 out, 1 rejected (duplicate id: 1)"
