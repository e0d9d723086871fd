"""The dedup stage's files: kept records, removals, conflicts and the manifest, swapped in atomically; metrics.

The record guard checks what dedup could have broken. Kept records are input records unchanged, and each input is
the published output of a stage that checked every record against the record schema (`generate` through
`run_stage`, `generalist` through `record_guard`): what two inputs together can break is only that ids are unique,
so every kept id is checked for that. A record dedup rewrote (a merged answer) is checked whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hum.dedup.engine import Dedup, Written
from hum.dedup.sources import FileSource
from hum.io import atomic_dir, write_json
from hum.provenance import write_manifest
from hum.runners import Runner
from hum.runners.local import Local
from hum.step import StageError, schema_failure

if TYPE_CHECKING:  # pandera loads when the stage runs, not when it starts
    from hum.schemas import RecordCheck

FILES = {"kept": "instructions.jsonl", "removed": "removed.jsonl", "conflict": "conflicts.jsonl"}


def run_dedup(
    inputs: Sequence[Path],
    out: Path,
    params: dict[str, Any],
    *,
    model: str | None,
    metrics: Path = Path("metrics/dedup.json"),
    runner: Runner | None = None,
) -> Dedup:
    """Dedup the records of `inputs` (in that order) into `out`, reading them several times instead of holding them.

    The per-record work runs on `runner` (default: `hum.cores.data_workers()` local processes); the files are the
    same bytes on any runner.
    """
    from hum.schemas import RecordCheck  # noqa: PLC0415 - pandera loads only for stages that publish records

    step, check = Dedup(**params), RecordCheck()
    with atomic_dir(out) as tmp:
        handles = {kind: (tmp / name).open("w", encoding="utf-8", newline="\n") for kind, name in FILES.items()}
        try:
            for written in step.run(FileSource(inputs), runner or Local(), progress=True, scratch=tmp):
                guard(check, written)
                for kind, lines in written.lines.items():
                    handles[kind].write("".join(line + "\n" for line in lines))
                step.stats["in"] += len(written.lines["kept"]) + len(written.lines["removed"])
                step.stats["out"] += len(written.lines["kept"])
        finally:
            for fh in handles.values():
                fh.close()
        write_manifest(tmp, step.name, {"dedup": params}, dict(step.stats), model)
    write_json(metrics, dict(step.stats))
    print(step.summary())
    return step


def guard(check: RecordCheck, written: Written) -> None:
    """Raises `StageError` when a kept id came before (in either input), or a rewritten record breaks the record schema."""
    problems = [(repr(written.ids[pos]), "id", "duplicate id") for pos in check.ids.repeated_digests(bytes(written.digests))]
    rows = check.rows(written.rewritten) if written.rewritten else []
    problems += [(repr(written.rewritten[pos].get("id")), field, problem) for pos, field, problem in rows]
    if problems:
        raise StageError(schema_failure("dedup", sorted(problems)))
