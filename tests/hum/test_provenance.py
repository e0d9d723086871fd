"""Provenance: a stage refuses inputs made with other params, and params.yaml rewritten while it runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hum.io import atomic_dir
from hum.provenance import ancestors, difference, stage_params, stale_inputs, write_manifest

DAG = {
    "stages": {
        "a": {"cmd": "python a.py", "deps": ["a.py"], "outs": ["out/a"]},
        "b": {"cmd": "python b.py", "deps": ["out/a"], "outs": ["out/b", {"out/b.log": {"persist": True}}]},
        "c": {"cmd": "python c.py", "deps": ["out/b/file.txt"], "outs": ["out/c"]},
        "d": {"cmd": "python d.py", "deps": ["d.py"], "outs": ["out/d"]},
    }
}
STAGE = """\
from pathlib import Path
from hum.io import atomic_dir
from hum.provenance import stage_params, write_manifest
with stage_params("{name}") as params, atomic_dir(Path("out/{name}")) as tmp:
    write_manifest(tmp, "{name}", {{"seed": params["seed"]}}, {{}})
"""
REWRITE = """\
import yaml
params = yaml.safe_load(open("params.yaml"))
params["seed"] += 1
yaml.safe_dump(params, open("params.yaml", "w"))
"""


def rewrite_seed() -> None:
    params = yaml.safe_load(Path("params.yaml").read_text())
    params["seed"] += 1
    Path("params.yaml").write_text(yaml.safe_dump(params))


@pytest.fixture
def project(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with hum's params.yaml and a small DAG whose outputs record the params they were made with."""
    shutil.copy(root / "params.yaml", tmp_path / "params.yaml")
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(DAG))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def made(folder: str, params: dict[str, object]) -> None:
    with atomic_dir(Path(folder)) as tmp:
        write_manifest(tmp, Path(folder).name, params, {})


def seed() -> int:
    return int(yaml.safe_load(Path("params.yaml").read_text())["seed"])


def test_ancestors_follow_deps_into_and_out_of_folders(project: Path) -> None:
    assert ancestors("a") == []
    assert ancestors("b") == [Path("out/a")]
    assert ancestors("c") == [Path("out/a"), Path("out/b"), Path("out/b.log")]
    assert ancestors("c", project / "missing.yaml") == [], "outside a DVC project nothing is checked"


def test_stale_inputs_name_folder_key_and_both_values(project: Path) -> None:
    made("out/a", {"seed": seed()})
    made("out/b", {"seed": seed(), "dedup": {"threshold": 95, "rows": 4}})
    assert stale_inputs("c", {"seed": seed(), "dedup": {"threshold": 95, "rows": 4}}) == []
    assert stale_inputs("c", {"seed": seed() + 1, "dedup": {"threshold": 90, "rows": 4}}) == [
        f"out/a was made with seed: {seed()}, params.yaml has {seed() + 1}",
        "out/b was made with dedup.threshold: 95, params.yaml has 90",
        f"out/b was made with seed: {seed()}, params.yaml has {seed() + 1}",
    ]
    assert stale_inputs("c", {"other": 1}) == [], "keys the current params lack are not compared"
    assert difference("model", {"path": "a.gguf"}, {"path": "b.gguf", "n_ctx": 1}) == "model.n_ctx: null, params.yaml has 1"


def test_stage_refuses_stale_inputs_before_any_work(project: Path) -> None:
    made("out/a", {"seed": seed() - 1})
    ran = False
    stale = r"\[b\] inputs do not match params.yaml: out/a was made with seed: .*dvc exp run"
    with pytest.raises(SystemExit, match=stale), stage_params("b"):
        ran = True
    assert not ran


def test_stage_refuses_params_rewritten_while_it_runs(project: Path) -> None:
    changed = r"\[a\] params.yaml changed while the stage ran \(seed\).*dvc queue start"
    with pytest.raises(SystemExit, match=changed), stage_params("a") as params:
        rewrite_seed()  # what `dvc exp run -S seed=...` does to the workspace of a running build
    assert params["seed"] == seed() - 1
    with stage_params("a") as params:
        assert params["seed"] == seed()


@pytest.mark.slow
def test_dvc_repro_stops_at_the_first_stage_after_params_changed_mid_build(project: Path) -> None:
    """A real `dvc repro` in which params.yaml is rewritten between two stages, as a concurrent `dvc exp run` does."""
    python = sys.executable
    dag = {"stages": {"a": {**DAG["stages"]["a"], "cmd": [f"{python} a.py", f"{python} rewrite.py"]}, "b": DAG["stages"]["b"]}}
    dag["stages"]["b"] = {**dag["stages"]["b"], "cmd": f"{python} b.py", "outs": ["out/b"]}
    for name, code in {"a": STAGE.format(name="a"), "b": STAGE.format(name="b"), "rewrite": REWRITE}.items():
        (project / f"{name}.py").write_text(code)
    (project / "dvc.yaml").write_text(yaml.safe_dump(dag))
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run([*dvc, "init", "--no-scm", "-q"], check=True)
    run = subprocess.run([*dvc, "repro"], capture_output=True, text=True, check=False)
    assert run.returncode != 0
    assert "[b] inputs do not match params.yaml: out/a was made with seed: 13, params.yaml has 14" in run.stderr + run.stdout
    assert not (project / "out/b").exists(), "the refused stage wrote nothing"
