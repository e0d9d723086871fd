"""Dedup on Ray (issue 19): the per-record work on the package's Ray head writes the bytes and metrics of local processes.

The records are what `generate` makes of the project's seeds and, as a second input, its first batch again with every
third answer changed: exact duplicates and conflicting answers across inputs, over several batches.
The fuzzy pass's comparisons run on the actors too, in many small tasks that carry their texts (no shared spill).
"""

from __future__ import annotations

import copy
import json

from hum.dedup import near, run_dedup
from hum.dedup.work import BATCH
from hum.io import dumps
from hum.runners.local import Local
from hum.runners.ray import Ray

PARAMS = {"threshold": 95, "input_threshold": 90, "shingle": 5, "num_perm": 128, "bands": 32, "rows": 4, "conflicts": "merge"}
FILES = ("instructions.jsonl", "removed.jsonl", "conflicts.jsonl", "manifest.json")


def test_dedup_on_ray_writes_the_bytes_and_metrics_of_local_processes(project_generated, address, tmp_path, monkeypatch):
    monkeypatch.setattr(near, "CLUSTER_RECORDS", 16)  # the fuzzy pass's clusters over many tasks, their texts sent along
    inputs = [tmp_path / "generated.jsonl", tmp_path / "again.jsonl"]
    again = copy.deepcopy(project_generated[:BATCH])
    for record in again[::3]:
        record["id"] += "~again"
        record["messages"][-1]["content"] += " (or not)"
    for path, records in zip(inputs, (project_generated, again), strict=True):
        path.write_text("".join(dumps(r) + "\n" for r in records), encoding="utf-8")
    generated = len(project_generated)
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
