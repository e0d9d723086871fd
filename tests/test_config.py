"""The DVC/Hydra wiring: params.yaml is conf/ composed, and each stage declares exactly what it reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from dvc.utils.hydra import compose_and_dump

from hum.provenance import load_params

STAGES = ["prepare", "paraphrase", "generate", "generalist", "dedup", "decontaminate", "validate", "mix", "evaluate", "summary"]


def test_params_yaml_is_conf_composed(tmp_path: Path, root: Path) -> None:
    compose_and_dump(tmp_path / "params.yaml", str(root / "conf"), None, "config", str(root), [])
    composed = yaml.safe_load((tmp_path / "params.yaml").read_text())
    assert composed == yaml.safe_load((root / "params.yaml").read_text()), "run `dvc exp run` or recompose params.yaml"


@pytest.mark.parametrize("stage", STAGES)
def test_stage_declares_exactly_the_params_it_reads(root: Path, stage: str) -> None:
    declared = set(yaml.safe_load((root / "dvc.yaml").read_text())["stages"][stage]["params"])
    read = set(re.findall(r'params\["(\w+)"\]', (root / "stages" / f"{stage}.py").read_text()))
    assert read == declared


@pytest.mark.parametrize("ablation", sorted(p.stem for p in (Path(__file__).parents[1] / "conf/ablation").glob("*.yaml")))
def test_every_ablation_composes_to_checked_params_that_differ_only_where_it_says(
    tmp_path: Path, root: Path, ablation: str
) -> None:
    compose_and_dump(tmp_path / "params.yaml", str(root / "conf"), None, "config", str(root), [f"ablation={ablation}"])
    params = load_params(tmp_path / "params.yaml")
    base = yaml.safe_load((root / "params.yaml").read_text())
    said = yaml.safe_load((root / "conf/ablation" / f"{ablation}.yaml").read_text()) or {}
    assert (params == base) == (ablation == "none")
    assert {key: params[key] for key in base if key not in said} == {key: base[key] for key in base if key not in said}


def test_every_configured_dataset_names_its_own_package(root: Path) -> None:
    for path in sorted((root / "conf/datasets").glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == f"# @package datasets.{path.stem}", path
        assert yaml.safe_load(path.read_text())["name"] == path.stem


def imported_files(root: Path, path: Path, seen: set[Path]) -> set[Path]:
    """Files of the `hum` package that a script imports, directly or through other `hum` modules."""
    import ast  # noqa: PLC0415

    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        for name in (n for n in names if n.startswith("hum")):
            base = root / "src" / Path(*name.split("."))
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file() and candidate not in seen:
                    seen.add(candidate)
                    imported_files(root, candidate, seen)
    return seen


@pytest.mark.parametrize("stage", STAGES)
def test_stage_depends_on_all_the_code_it_runs(root: Path, stage: str) -> None:
    deps = [root / d for d in yaml.safe_load((root / "dvc.yaml").read_text())["stages"][stage]["deps"]]
    code = imported_files(root, root / "stages" / f"{stage}.py", set())
    missing = sorted(str(f.relative_to(root)) for f in code if not any(f == d or d in f.parents for d in deps))
    assert not missing, f"add to the deps of {stage}: {missing}"
