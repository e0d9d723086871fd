"""Parameters and provenance: what config and which model made an artifact, recorded beside it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from hum.io import atomic_dir, dumps, write_json, write_jsonl
from hum.settings import check_params


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """The composed parameters (Hydra writes them; `dvc repro` reads them as committed), checked against the schema.

    The check runs here, before any stage does work, so a typo fails the run with every problem named.
    """
    with open(path, encoding="utf-8") as fh:
        params: dict[str, Any] = yaml.safe_load(fh)
    check_params(params, path)
    return params


def digest(obj: Any) -> str:
    """sha256 of the canonical JSON of `obj`: equal configs hash equal whatever their key order."""
    return hashlib.sha256(dumps(obj).encode()).hexdigest()


def write_manifest(folder: Path, stage: str, params: dict[str, Any], counts: dict[str, Any], model: str | None = None) -> None:
    """`manifest.json` in an output folder: the stage, its exact params and their hash, the model, the counts."""
    manifest = {"stage": stage, "params": params, "params_sha256": digest(params), "model": model, "counts": counts}
    write_json(folder / "manifest.json", manifest)


def model_of(folder: Path) -> str | None:
    """The model recorded in an upstream output's manifest, carried into every artifact made from it."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    model = manifest.get("model")
    return None if model is None else str(model)


def publish(
    out: Path, stage: str, files: dict[str, list[Any]], params: dict[str, Any], counts: dict[str, Any], *, model: str | None
) -> None:
    """Write a stage's JSON-lines files and manifest into `out` atomically, and its metrics file."""
    with atomic_dir(out) as tmp:
        for name, records in files.items():
            write_jsonl(tmp / name, records)
        write_manifest(tmp, stage, params, counts, model)
    write_json(f"metrics/{stage}.json", counts)


def dvc_paths(entries: list[Any]) -> list[str]:
    """The paths of a dvc.yaml `deps`/`outs` list, whose entries are a path or a one-key mapping of path to options."""
    return [str(e) if not isinstance(e, dict) else str(next(iter(e))) for e in entries or []]


def ancestors(stage: str, dvc_file: str | Path = "dvc.yaml") -> list[Path]:
    """The output folders of every stage upstream of `stage` in the DAG of `dvc_file` (none outside a DVC project)."""
    if not Path(dvc_file).is_file():
        return []
    stages = yaml.safe_load(Path(dvc_file).read_text(encoding="utf-8")).get("stages", {})
    makers = {out: name for name, spec in stages.items() for out in dvc_paths(spec.get("outs", []))}
    found: dict[str, None] = {}
    todo = [stage]
    while todo:
        deps = dvc_paths(stages.get(todo.pop(), {}).get("deps", []))
        for out, maker in makers.items():
            if maker not in found and any(d == out or d.startswith(out + "/") for d in deps):
                found[maker] = None
                todo.append(maker)
    return sorted({Path(out) for out, maker in makers.items() if maker in found})


def stale_inputs(stage: str, params: dict[str, Any], dvc_file: str | Path = "dvc.yaml") -> list[str]:
    """Upstream outputs made with params that differ from `params`: params.yaml changed after they were made.

    `dvc repro` remakes an output whose params changed before anything downstream runs, so within one build a
    difference means another command rewrote params.yaml mid-build (`dvc exp run` beside a running `dvc repro`).
    """
    problems = []
    for folder in ancestors(stage, dvc_file):
        if (manifest := folder / "manifest.json").is_file():
            made = json.loads(manifest.read_text(encoding="utf-8")).get("params", {})
            problems += [
                f"{folder} was made with {difference(key, made[key], params[key])}"
                for key in sorted(made.keys() & params.keys())
                if made[key] != params[key]
            ]
    return problems


def difference(key: str, made: Any, now: Any) -> str:
    """The first place two param values differ, as `key.sub: old, params.yaml has new`."""
    if isinstance(made, dict) and isinstance(now, dict):
        sub = next(k for k in sorted(made.keys() | now.keys(), key=str) if made.get(k) != now.get(k))
        return difference(f"{key}.{sub}", made.get(sub), now.get(sub))
    return f"{key}: {dumps(made)}, params.yaml has {dumps(now)}"


RACE_HINT = (
    "another command rewrote params.yaml during this build (e.g. `dvc exp run` beside a running `dvc repro`). "
    "Rerun `dvc repro`; run experiments side by side with `dvc exp run --queue` and `dvc queue start`, "
    "each in a workspace of its own"
)


@contextmanager
def stage_params(stage: str, path: str | Path = "params.yaml") -> Iterator[dict[str, Any]]:
    """The checked params of a stage script, refused when they no longer match its inputs or change while it runs.

    Exits with the reason: before any work when upstream outputs were made with other params, and at the end
    when params.yaml changed while the stage ran (its manifest then names the params it really used, so the
    next stage refuses it too, and DVC records no lock for it).
    """
    params = load_params(path)
    if problems := stale_inputs(stage, params):
        raise SystemExit(f"[{stage}] inputs do not match {path}: {'; '.join(problems)}. Probably {RACE_HINT}.")
    yield params
    now = load_params(path)
    if changed := sorted(k for k in params.keys() | now.keys() if params.get(k) != now.get(k)):
        raise SystemExit(f"[{stage}] {path} changed while the stage ran ({', '.join(changed)}): {RACE_HINT}.")
