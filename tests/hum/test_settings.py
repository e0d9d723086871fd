"""The params schema: the committed config passes; each typo of issue 15 stops `load_params` with a pointed message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hum.provenance import load_params
from hum.settings import ConfigError, check_params

ROOT = Path(__file__).resolve().parents[2]
PARAMS: dict[str, Any] = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def broken(edit: Callable[[dict[str, Any]], object]) -> str:
    """The ConfigError message of the committed params after `edit`."""
    params = copy.deepcopy(PARAMS)
    edit(params)
    with pytest.raises(ConfigError) as raised:
        check_params(params, ROOT / "params.yaml")
    return str(raised.value)


def test_the_committed_params_pass() -> None:
    assert load_params(ROOT / "params.yaml") == PARAMS


def test_a_partial_params_file_passes() -> None:
    check_params({"generate": {"guidelines": {"min_coverage": 0.1}}})


def test_a_misspelt_on_error_is_refused_with_a_hint() -> None:
    msg = broken(lambda p: p["prepare"].update(on_error="rasie"))
    assert "prepare.on_error: 'rasie' is not one of ['quarantine', 'raise']; did you mean 'raise'?" in msg


def test_an_unknown_format_is_refused() -> None:
    msg = broken(lambda p: p["generate"]["formats"].append("jsn"))
    assert "generate.formats[13]: 'jsn' is not one of" in msg
    assert "did you mean 'json'?" in msg


def test_empty_formats_are_refused() -> None:
    assert "generate.formats: must not be empty" in broken(lambda p: p["generate"].update(formats=[]))


def test_a_task_missing_from_subtasks_is_refused() -> None:
    msg = broken(lambda p: p["generate"]["subtasks"].pop("ee"))
    assert "generate.subtasks: task 'ee' of dataset 'phee' is missing; give it some of ['triggers', 'arguments']" in msg


def test_an_unknown_subtask_is_refused() -> None:
    msg = broken(lambda p: p["generate"]["subtasks"].update(ner=["extract", "by_typ"]))
    assert "generate.subtasks.ner[1]: 'by_typ' is not one of ['by_type', 'extract']; did you mean 'by_type'?" in msg


def test_an_unknown_top_level_key_is_refused() -> None:
    msg = broken(lambda p: p.update(dedupe={"threshold": 90}))
    assert "dedupe: unknown key; known: [" in msg
    assert "did you mean 'dedup'?" in msg


def test_an_unknown_nested_key_is_refused() -> None:
    msg = broken(lambda p: p["generate"]["guidelines"].update(p_instructions=0.5))
    assert "generate.guidelines.p_instructions: unknown key" in msg
    assert "did you mean 'p_instruction'?" in msg


def test_a_share_out_of_range_is_refused() -> None:
    assert "generate.compound_ratio: 1.5 is out of range [0, 1]" in broken(lambda p: p["generate"].update(compound_ratio=1.5))


def test_an_unknown_layout_is_refused() -> None:
    assert "generate.layouts[0]: 'headd' is not one of" in broken(lambda p: p["generate"].update(layouts=["headd"]))


def test_a_dataset_with_an_unknown_task_or_loader_is_refused() -> None:
    def edit(p: dict[str, Any]) -> None:
        p["datasets"]["carb"].update(task="oei", loader="tsvv")

    msg = broken(edit)
    assert "datasets.carb.task: 'oei' is not one of" in msg
    assert "datasets.carb.loader: 'tsvv' is not one of" in msg


def test_model_contents_are_checked_by_the_model_config() -> None:
    assert "model._target_: 'os.system' is not an allowed model backend" in broken(
        lambda p: p["model"].update(_target_="os.system")
    )


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    params = copy.deepcopy(PARAMS)
    params["prepare"]["on_error"] = "rasie"
    params["generate"]["formats"] = []
    params["generate"]["subtasks"].pop("oie")
    params["mix"]["general_share"] = -0.1
    params["mix"]["exports"] = ["parquett"]
    params["dedup"]["conflicts"] = "merged"
    params["typo"] = 1
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_params(path)
    msg = str(raised.value)
    assert msg.startswith(f"{path}: 7 config problem(s):\n")
    for key in (
        "prepare.on_error",
        "generate.formats",
        "generate.subtasks",
        "mix.general_share",
        "mix.exports[0]",
        "dedup.conflicts",
        "typo",
    ):
        assert f"  - {key}" in msg
    assert isinstance(raised.value, ValueError)


def test_the_committed_params_cap_seed_texts_like_validate_caps_prompts():
    assert PARAMS["prepare"]["max_text_chars"] == PARAMS["validate"]["max_user_chars"] == 8000


@pytest.mark.parametrize(
    ("value", "problem"),
    [(0, "0 is out of range [1, None)"), (7999.5, "7999.5 is not an integer"), (True, "True is not an integer")],
)
def test_a_bad_max_text_chars_is_refused(value, problem):
    assert f"prepare.max_text_chars: {problem}" in broken(lambda p: p["prepare"].update(max_text_chars=value))


def test_a_misspelt_prepare_key_is_refused_with_a_hint():
    msg = broken(lambda p: p["prepare"].update(max_text_char=8000))
    known = ["eval_fraction", "max_records", "max_text_chars", "mrc_window", "on_error"]
    assert f"prepare.max_text_char: unknown key; known: {known}" in msg
    assert "did you mean 'max_text_chars'?" in msg
