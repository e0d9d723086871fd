"""The dedup stage's files: kept records, removals, conflicts and the manifest, swapped in atomically; metrics."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hum.dedup.engine import Dedup
from hum.dedup.sources import FileSource
from hum.io import Record, atomic_dir, dumps, write_json
from hum.provenance import write_manifest
from hum.step import record_guard

GUARD_BATCH = 4096  # kept records checked against the record schema at a time (pandera costs per batch: 2.7x faster than 256)
FILES = {"kept": "instructions.jsonl", "removed": "removed.jsonl", "conflict": "conflicts.jsonl"}


def run_dedup(
    inputs: Sequence[Path], out: Path, params: dict[str, Any], *, model: str | None, metrics: Path = Path("metrics/dedup.json")
) -> Dedup:
    """Dedup the records of `inputs` (in that order) into `out`, reading them several times instead of holding them."""
    step, guard, pending = Dedup(**params), record_guard("dedup"), list[Record]()
    with atomic_dir(out) as tmp:
        handles = {kind: (tmp / name).open("w", encoding="utf-8", newline="\n") for kind, name in FILES.items()}
        try:
            for kind, item in step.run(FileSource(inputs), progress=True, scratch=tmp):
                handles[kind].write(dumps(item) + "\n")
                step.stats["in"] += kind != "conflict"
                step.stats["out"] += kind == "kept"
                pending += [item] if kind == "kept" else []
                if len(pending) >= GUARD_BATCH:
                    guard(pending)
                    pending.clear()
            guard(pending)
        finally:
            for fh in handles.values():
                fh.close()
        write_manifest(tmp, step.name, {"dedup": params}, dict(step.stats), model)
    write_json(metrics, dict(step.stats))
    print(step.summary())
    return step
