"""Parameters and provenance: what config and which model made an artifact, recorded beside it."""

from __future__ import annotations

import hashlib
import json
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
