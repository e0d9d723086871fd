"""`hum run`: the pipeline outside DVC, composed from conf/ with Hydra overrides; `-m` runs a sweep, one folder a job.

Overrides read as `dvc exp run -S` reads them (`generate.p_rules=0.5`, `model=gguf`); with `-m`, a comma list or a
`range()` sweeps as Hydra's basic sweeper does, the cartesian product of all sweeps, one job after the other (model
stages must never share the cores). Each job gets its own workspace under `--out`, named by its overrides: a
composed `params.yaml`, links to the seeds, templates and guidelines, a copy of the recorded LLM replies (so what
is recorded replays), and every output of its stages. The project's own `params.yaml` and `data/` are not touched.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser

from hum.cli.options import path_option
from hum.provenance import dvc_paths

SHARED = ("data/seeds", "data/templates", "data/guidelines")  # read by stages, never written: linked
COPIED = ("data/replies", "dvc.yaml")  # the replies are rewritten by their stage; dvc.yaml gives the DAG


def arguments(parser: argparse.ArgumentParser) -> None:
    """Stages, overrides, multirun and where the jobs go."""
    parser.add_argument("stages", nargs="*", metavar="STAGE", help="stages to run, in DAG order (default: all of dvc.yaml)")
    parser.add_argument("-S", "--set-param", dest="overrides", action="append", default=[], metavar="OVERRIDE",
                        help="a Hydra override, as in `dvc exp run -S` (repeatable)")  # fmt: skip
    parser.add_argument("-m", "--multirun", action="store_true", help="sweep: one job per combination of comma lists")
    path_option(parser, "--out", Path("runs"), "folder of the job workspaces")
    path_option(parser, "--conf", Path("conf"), "Hydra config folder")


def jobs(overrides: list[str], *, multirun: bool) -> list[list[str]]:
    """The override list of every job: one job, or with `multirun` the product of each sweep's values."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    choices = []
    for override, text in zip(parsed, overrides, strict=True):
        if not override.is_sweep_override():
            choices.append([text])
        elif not multirun:
            raise ValueError(f"{text!r} is a sweep: add -m to run one job per value")
        else:
            key = override.get_key_element()
            choices.append([f"{key}={value}" for value in override.sweep_string_iterator()])
    return [list(combo) for combo in itertools.product(*choices)]


def job_name(overrides: list[str]) -> str:
    """A job's folder name: its overrides, as Hydra's `override_dirname` (or `default`)."""
    return ",".join(sorted(overrides)).replace("/", "_") or "default"


def workspace(project: Path, folder: Path, conf: Path, overrides: list[str], kept: list[str]) -> None:
    """Make a job's workspace: composed params, linked read-only inputs, copied replies and DAG.

    `kept` are the outputs of stages the job does not run, copied from the project so the stages that run have
    their inputs (a stage refuses them if the job's overrides changed what made them).
    """
    from dvc.utils.hydra import compose_and_dump  # noqa: PLC0415 - DVC loads only when a job runs

    folder.mkdir(parents=True, exist_ok=True)
    compose_and_dump(folder / "params.yaml", str(conf.resolve()), None, "config", str(project), overrides)
    for name in SHARED:
        link = folder / name
        if (project / name).exists() and not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to((project / name).resolve())
    for name in (*COPIED, *kept):
        source, target = project / name, folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif source.is_file():
            shutil.copy2(source, target)


def plan(project: Path, wanted: list[str]) -> tuple[list[str], list[str]]:
    """The stages to run in dvc.yaml's (topological) order, and the outputs of the others (`wanted` names some)."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    if unknown := sorted(set(wanted) - set(stages)):
        raise ValueError(f"unknown stage {', '.join(unknown)}; the stages are: {', '.join(stages)}")
    order = [s for s in stages if not wanted or s in wanted]
    kept = [out for s in stages if s not in order for out in dvc_paths(stages[s].get("outs", []) + stages[s].get("metrics", []))]
    return order, kept


def run(args: argparse.Namespace) -> int:
    """Run every job's stages in order; stop at the first failure, naming the job and the stage."""
    project = Path.cwd()
    try:
        (order, kept), planned = plan(project, args.stages), jobs(args.overrides, multirun=args.multirun)
    except ValueError as exc:
        print(f"hum run: {exc}", file=sys.stderr)
        return 2
    for n, overrides in enumerate(planned, 1):
        folder = args.out / job_name(overrides)
        print(f"[run] job {n}/{len(planned)}: {folder} ({' '.join(overrides) or 'no overrides'})", flush=True)
        workspace(project, folder, args.conf, overrides, kept)
        for stage in order:
            script = [sys.executable, str(project / "stages" / f"{stage}.py")]
            if subprocess.run(script, cwd=folder, check=False).returncode:  # noqa: S603 - the project's own stage script
                print(f"hum run: stage {stage} failed in {folder}", file=sys.stderr)
                return 1
    print(f"[run] {len(planned)} job(s) of {len(order)} stage(s) done in {args.out}")
    return 0
