"""The DVC/Hydra wiring: params.yaml is conf/ composed, and each stage declares exactly what it reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from dvc.utils.hydra import compose_and_dump


def test_params_yaml_is_conf_composed(tmp_path: Path, root: Path) -> None:
    compose_and_dump(tmp_path / "params.yaml", str(root / "conf"), None, "config", str(root), [])
    composed = yaml.safe_load((tmp_path / "params.yaml").read_text())
    assert composed == yaml.safe_load((root / "params.yaml").read_text()), "run `dvc exp run` or recompose params.yaml"


@pytest.mark.parametrize("stage", ["prepare", "paraphrase", "generate", "generalist", "dedup", "validate", "mix"])
def test_stage_declares_exactly_the_params_it_reads(root: Path, stage: str) -> None:
    declared = set(yaml.safe_load((root / "dvc.yaml").read_text())["stages"][stage]["params"])
    read = set(re.findall(r'params\["(\w+)"\]', (root / "stages" / f"{stage}.py").read_text()))
    assert read == declared


def test_every_configured_dataset_names_its_own_package(root: Path) -> None:
    for path in sorted((root / "conf/datasets").glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == f"# @package datasets.{path.stem}", path
        assert yaml.safe_load(path.read_text())["name"] == path.stem
