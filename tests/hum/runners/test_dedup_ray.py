"""Dedup on Ray (issue 19): the per-record work on the package's Ray head writes the bytes and metrics of local processes.

The records are copies of the real inputs of the dedup stage and, as a third input, the first batch of the first one
again with every third answer changed: exact duplicates and conflicting answers across inputs, over several batches.
The fuzzy pass's comparisons run on the actors too, in many small tasks that carry their texts (no shared spill).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from hum.dedup import near, run_dedup
from hum.dedup.work import BATCH
from hum.io import dumps, read_jsonl
from hum.runners.local import Local
from hum.runners.ray import Ray

ROOT = Path(__file__).resolve().parents[3]
BUILT = [ROOT / "data/generated/instructions.jsonl", ROOT / "data/generalist/instructions.jsonl"]  # DVC outputs
PARAMS = {"threshold": 95, "input_threshold": 90, "shingle": 5, "num_perm": 128, "bands": 32, "rows": 4, "conflicts": "merge"}
FILES = ("instructions.jsonl", "removed.jsonl", "conflicts.jsonl", "manifest.json")


@pytest.mark.skipif(not all(p.exists() for p in BUILT), reason="pipeline outputs not built (dvc repro)")
def test_dedup_on_ray_writes_the_bytes_and_metrics_of_local_processes(address, tmp_path, monkeypatch):
    monkeypatch.setattr(near, "CLUSTER_RECORDS", 16)  # the fuzzy pass's clusters over many tasks, their texts sent along
    inputs = [tmp_path / "generated.jsonl", tmp_path / "generalist.jsonl", tmp_path / "again.jsonl"]
    for built, path in zip(BUILT, inputs, strict=False):
        path.write_bytes(built.read_bytes())
    generated = sum(1 for _ in read_jsonl(BUILT[0]))
    again = list(itertools.islice(read_jsonl(BUILT[0]), BATCH))
    for record in again[::3]:
        record["id"] += "~again"
        record["messages"][-1]["content"] += " (or not)"
    inputs[2].write_text("".join(dumps(r) + "\n" for r in again), encoding="utf-8")
    written = {}
    for name, runner in (("local", Local(2)), ("ray", Ray(address=address))):
        out, metrics = tmp_path / name, tmp_path / f"{name}.json"
        run_dedup(inputs, out, PARAMS, model="sha256:m", metrics=metrics, runner=runner)
        written[name] = {**{f: (out / f).read_bytes() for f in FILES}, "metrics": metrics.read_bytes()}
    assert written["ray"] == written["local"]
    counts = json.loads(written["local"]["metrics"])
    assert counts["in"] == generated + len(again) > 3 * BATCH
    assert counts["rejected: exact duplicate"] == len(again) - len(again[::3])
    assert counts["conflicts: same user message"] == len(again[::3])
