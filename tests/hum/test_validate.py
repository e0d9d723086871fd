from __future__ import annotations

import copy
import json
import runpy
from pathlib import Path

import pytest
import yaml

from hum.records import meta_record
from hum.step import StageError, run_stage
from hum.tokens import ApproximateTokenizer
from hum.validate import Validate

ROOT = Path(__file__).resolve().parents[2]
USER = "Find the persons.\n\nText:\nAnn saw Ann."


class WordTokenizer:
    """One token per whitespace-separated word: exact, predictable counts for limit tests."""

    kind, fingerprint = "words", "words:1"

    def count(self, texts):
        return [len(t.split()) for t in texts]


def record(rid="r1", answer="person | Ann\nperson | Ann", rules=("dup:all",), fmt="lines", user=USER):
    text = "Ann saw Ann."
    meta = meta_record(
        task="ner", subtask="extract", dataset="toy", seed_id=rid, lang="en", kind="compound", format=fmt,
        rules=list(rules), columns=["type", "entity"], label_column="type", labels=["person"],
        gold=[["person", "Ann"], ["person", "Ann"]], offsets=[[0, 3], [8, 11]],
        text_span=[len(user) - len(text), len(user)],
    )  # fmt: skip
    return {
        "id": rid,
        "messages": [
            {"role": "system", "content": "You are precise."},
            {"role": "user", "content": user},
            {"role": "assistant", "content": answer},
        ],
        "meta": meta,
    }


def validate(**limits):
    config = {"max_user_chars": 200, "max_answer_chars": 100, "max_user_tokens": 50, "max_answer_tokens": 20} | limits
    return Validate(**config, tokenizer=limits.pop("tokenizer", WordTokenizer()))


@pytest.fixture
def step():
    return validate()


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
    wrong_roles["messages"][0]["role"] = "assistant"
    too_long = record("b", user="x" * 190 + USER)
    empty = record("c", answer="  ")
    kept, rejected = step([wrong_roles, too_long, empty, copy.deepcopy(record("a"))])
    assert kept == []
    assert {r["record"]["id"]: r["reason"] for r in rejected[:3]} == {
        "a": "messages are not (system,) user, assistant",
        "b": "instruction empty or over 200 characters",
        "c": "answer does not parse back to its gold annotation; answer empty or over 100 characters",
    }
    assert rejected[3]["reason"] == "duplicate id"


def test_meta_problems_are_quarantined_naming_the_field(step):
    missing, wrong_kind, out_of_range = record("m"), record("k"), record("s")
    del missing["meta"]["lang"]
    wrong_kind["meta"]["negative"] = "no"
    out_of_range["meta"]["text_span"] = [10, 999]
    kept, rejected = step([missing, wrong_kind, out_of_range, record("ok")])
    assert [r["id"] for r in kept] == ["ok"]
    assert [r["reason"] for r in rejected] == [
        "meta.lang: missing",
        "meta.negative: is text, expected bool",
        "meta.text_span: ends beyond the user message",
    ]


def test_duplicate_id_across_batches(step):
    step([record()])
    kept, rejected = step([record()])
    assert kept == []
    assert rejected[0]["reason"] == "duplicate id"
    assert step.summary() == "[validate] 2 in, 1 out, 1 rejected (duplicate id: 1)"


def test_over_token_limits_rejected_naming_the_count():
    step = validate(max_user_tokens=7, max_answer_tokens=3)
    long_answer = record("a", answer="person | Ann\nperson | Ann")  # 6 words
    short = {"answer": "person | Ann", "rules": ["dup:once"]}
    long_user = record("u", user="Find the persons in this text.\n\nText:\nAnn saw Ann.", **short)  # 10 words
    kept, rejected = step([long_answer, long_user, record("ok", **short)])
    assert [r["id"] for r in kept] == ["ok"]
    assert [r["reason"] for r in rejected] == ["answer over 3 tokens (6 tokens)", "instruction over 7 tokens (10 tokens)"]
    assert step.stats["rejected: answer over 3 tokens"] == 1  # metric keys leave the count out
    assert step.stats["rejected: instruction over 7 tokens"] == 1


def test_metrics_report_tokens_of_kept_records_and_the_tokenizer(step):
    step([record("a"), record("b", answer="person | Ann", rules=["dup:once"]), record("bad", answer="nope")])
    metrics = step.metrics()
    assert metrics["in"] == 3
    assert metrics["out"] == 2
    assert metrics["tokenizer"] == "words"
    assert metrics["tokenizer_fingerprint"] == "words:1"
    assert metrics["tokens"] == {"user": {"max": 7, "mean": 7.0}, "answer": {"max": 6, "mean": 4.5}}


def test_reject_rate_over_the_limit_fails_and_publishes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = [record(f"g{i}") for i in range(8)]
    bad = [record("b1", answer="nope"), record("b2", answer="person | Bob\nperson | Ann")]
    with pytest.raises(StageError) as failed:
        run_stage(validate(max_reject_rate=0.1), good + bad, tmp_path / "out", "quarantine.jsonl", {}, model=None)
    message = str(failed.value)
    assert "rejected 2 of 10 records (20.00%), over validate.max_reject_rate = 10.00%" in message
    assert "answer does not parse back to its gold annotation: 1" in message
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "metrics").exists()


def test_reject_rate_at_the_limit_publishes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    records = [record(f"g{i}") for i in range(9)] + [record("b", answer="nope")]
    run_stage(validate(max_reject_rate=0.1), records, tmp_path / "out", "quarantine.jsonl", {}, model=None)
    assert len((tmp_path / "out/instructions.jsonl").read_text().splitlines()) == 9
    assert len((tmp_path / "out/quarantine.jsonl").read_text().splitlines()) == 1
    metrics = json.loads((tmp_path / "metrics/validate.json").read_text())
    assert metrics["rejected: answer does not parse: lines: expected 2 fields per item"] == 1
    assert json.loads((tmp_path / "out/manifest.json").read_text())["counts"] == metrics


def stage_dir(tmp_path: Path, records: list[dict], **validate_params) -> None:
    """A working copy for `stages/validate.py`: params.yaml (an OpenAI model: no GGUF) and decontaminated input."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["model"] = yaml.safe_load((ROOT / "conf/model/openai.yaml").read_text())
    params["validate"] = {**params["validate"], **validate_params}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    folder = tmp_path / "data/decontaminated"
    folder.mkdir(parents=True)
    (folder / "instructions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "manifest.json").write_text(json.dumps({"model": "fake:1"}))


def test_stage_script_measures_tokens_approximately_for_a_server_model(tmp_path, monkeypatch):
    stage_dir(tmp_path, [record(f"g{i}") for i in range(3)])
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(ROOT / "stages/validate.py"), run_name="__main__")
    metrics = json.loads((tmp_path / "metrics/validate.json").read_text())
    assert metrics["in"] == metrics["out"] == 3
    assert metrics["tokenizer"] == "approximate"
    assert metrics["tokenizer_fingerprint"] == ApproximateTokenizer.fingerprint
    assert metrics["tokens"]["user"]["max"] == ApproximateTokenizer().count([USER])[0]
    manifest = json.loads((tmp_path / "data/validated/manifest.json").read_text())
    assert manifest["params"]["model"]["_target_"] == "hum.llm.openai.OpenAIChat"


def test_stage_script_exits_non_zero_over_the_reject_rate(tmp_path, monkeypatch):
    stage_dir(tmp_path, [record("g"), record("b", answer="nope")], max_reject_rate=0.05)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(ROOT / "stages/validate.py"), run_name="__main__")
    assert "rejected 1 of 2 records (50.00%), over validate.max_reject_rate = 5.00%" in str(exited.value.code)
    assert not (tmp_path / "data/validated").exists()
    assert not (tmp_path / "metrics/validate.json").exists()
