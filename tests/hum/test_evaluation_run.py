"""The evaluation loop on the real held-out samples: a model that answers gold scores 1, one that rambles scores 0."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from test_llm_openai import KEY, OLLAMA

from conftest import ROOT
from fakes.openai_server import FakeOpenAI
from hum.evaluation.run import evaluate, held_out, prompt_params, prompts, summary_line
from hum.generate import load_context
from hum.io import read_jsonl
from hum.prepare import prepare_all

TEMPLATES, GUIDELINES = ROOT / "data/templates", ROOT / "data/guidelines"
PREPARE = {"max_records": 3, "eval_fraction": 0.2, "on_error": "raise", "max_text_chars": 8000}


@pytest.fixture(scope="module")
def params() -> dict:
    base = yaml.safe_load((ROOT / "params.yaml").read_text())
    return {**base, "evaluate": {**base["evaluate"], "limit": 3}}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory, params: dict) -> Path:
    """Every shipped seed dataset prepared, with its held-out split."""
    out = tmp_path_factory.mktemp("prepared")
    cwd = Path.cwd()
    os.chdir(ROOT)  # dataset configs name their files from the project root
    try:
        prepare_all(params["datasets"], PREPARE, params["seed"], out)
    finally:
        os.chdir(cwd)
    return out


class Oracle:
    """Answers every prompt with its gold answer, wrapped as small models wrap theirs."""

    fingerprint = "fake:oracle"

    def __init__(self, gold: dict[str, str], wrap: str = "{}") -> None:
        self.gold, self.wrap = gold, wrap

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        return self.wrap.format(self.gold.get(messages[-1]["content"], "I am not sure what you mean."))


def gold_answers(prepared: Path, params: dict, style: str) -> dict[str, str]:
    generation = prompt_params(params["generate"], style)
    ctx = load_context(prepared, TEMPLATES, None, GUIDELINES, params=generation, seed=params["seed"])
    made = prompts(held_out(prepared, 3), ctx, Counter())
    return {p["messages"][-2]["content"]: p["messages"][-1]["content"] for p in made}


@pytest.mark.parametrize("style", ["basic", "format", "compound"])
@pytest.mark.parametrize("wrap", ["{}", "```\n{}\n```", "Here is the answer:\n\n{}"])
def test_gold_answers_score_one_on_every_task(prepared: Path, params: dict, style: str, wrap: str) -> None:
    cfg = {**params, "evaluate": {**params["evaluate"], "style": style}}
    predictions, report = evaluate(prepared, TEMPLATES, GUIDELINES, cfg, Oracle(gold_answers(prepared, params, style), wrap))
    tasks = {p["task"] for p in predictions}
    assert tasks == {"ner", "re", "ee", "cls", "mrc", "oie"}
    assert all(p["parsed"] for p in predictions)
    assert report["overall/unparsable"] == 0
    assert {t: report[f"{t}/score"] for t in tasks} == dict.fromkeys(tasks, 1.0)
    assert report["overall/records"] == len(predictions) == 3 * 8


def test_rambling_scores_zero_and_is_counted(prepared: Path, params: dict) -> None:
    predictions, report = evaluate(prepared, TEMPLATES, GUIDELINES, params, Oracle({}))
    assert report["overall/score"] == 0.0
    assert report["overall/unparsable"] == sum(not p["parsed"] for p in predictions) >= 20
    assert summary_line(report).startswith(f"[evaluate] 24 prompts, {report['overall/unparsable']:.0f} replies unreadable")


def test_every_held_out_record_is_asked_as_it_is(prepared: Path, params: dict) -> None:
    records = list(held_out(prepared, None))
    ctx = load_context(prepared, TEMPLATES, None, GUIDELINES, params=prompt_params(params["generate"], "format"), seed=13)
    asked = list(prompts(records, ctx, Counter()))
    assert len(asked) == len(records), "no empty-answer target skips a record"
    assert not any(p["meta"]["negative"] for p in asked), "no negative passages"
    assert all(p["meta"]["kind"] == "compound" and p["meta"]["phrasings"]["format"] for p in asked), "the format is stated"
    assert not any(p["meta"]["rules"] or p["meta"]["guidelines"] for p in asked)


def test_hum_eval_of_a_server_model_writes_predictions_and_metrics_and_replays(tmp_path: Path, prepared: Path) -> None:
    server = FakeOpenAI(OLLAMA, reply=lambda _: "Bonjour")  # an OpenAI-compatible server that answers every prompt "Bonjour"
    overrides = ["model@evaluate.model=openai", f"evaluate.model.base_url={server.url}", "evaluate.model.model=llama3.2:latest"]
    command = [sys.executable, "-m", "hum", "eval", "--limit", "1", "--prepared", str(prepared), "--out", str(tmp_path / "eval")]
    command += [a for o in overrides for a in ("-S", o)]
    try:
        for _ in range(2):
            done = subprocess.run(command, cwd=ROOT, env={**os.environ, "OPENAI_API_KEY": KEY}, capture_output=True,
                                  text=True, check=False)  # fmt: skip
            assert done.returncode == 0, done.stderr
    finally:
        server.stop()
    assert "[evaluate] 8 prompts" in done.stdout
    assert re.search(r"^overall\s+8\s+\d+\s+0\.000$", done.stdout, re.MULTILINE)
    assert sum(m.startswith("POST") for m in server.methods()) == 8, "the second run replays every reply"
    assert len(list(read_jsonl(tmp_path / "eval/predictions.jsonl"))) == 8
    assert not any(KEY in p.read_text() for p in (tmp_path / "eval").rglob("*") if p.is_file()), "no key is written"
