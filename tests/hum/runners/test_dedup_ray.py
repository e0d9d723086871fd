"""Dedup on Ray (issue 19): the per-record work on the package's Ray head writes the bytes and metrics of local processes.

The records are what `generate` makes of the project's seeds and, as a second input, its first batch again with every
third answer changed: exact duplicates and conflicting answers across inputs, over several batches.
The keys, the band keys and the lines go through Ray Data, their read tasks reading the files and the spill of input
texts; the fuzzy pass's comparisons run on plain actors, in many small tasks that carry their texts.
"""

from __future__ import annotations

import copy
import json
import math

from hum.dedup import near, run_dedup
from hum.dedup.work import BATCH, KeysOf, LinesOf, SpilledTexts
from hum.io import dumps
from hum.runners import ray_data
from hum.runners.local import Local
from hum.runners.ray import Ray
from hum.runners.ray_data import LinesLoad

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
    passes = data_passes(monkeypatch)
    written = {}
    for name, runner in (("local", Local(2)), ("ray", Ray(address=address))):
        out, metrics = tmp_path / name, tmp_path / f"{name}.json"
        run_dedup(inputs, out, PARAMS, model="sha256:m", metrics=metrics, runner=runner)
        written[name] = {**{f: (out / f).read_bytes() for f in FILES}, "metrics": metrics.read_bytes()}
    assert written["ray"] == written["local"]
    records = math.ceil((generated + len(again)) / BATCH)
    assert [(kind, n) for kind, n in passes if kind is not SpilledTexts] == [(KeysOf, records), (LinesOf, records)]
    assert [kind for kind, _ in passes] == [KeysOf, SpilledTexts, LinesOf], "the band keys went through Ray Data too"
    counts = json.loads(written["local"]["metrics"])
    assert counts["in"] == generated + len(again) > 3 * BATCH
    assert counts["rejected: exact duplicate"] == len(again) - len(again[::3])
    assert counts["conflicts: same user message"] == len(again[::3])


def data_passes(monkeypatch):
    """What went through Ray Data, as it goes: per dataset, the kind of its tasks and how many (fills as it runs)."""
    passes, results = [], ray_data.results

    def spy(loads, *args):
        first = loads.loads[0]
        passes.append((first.make if isinstance(first, LinesLoad) else type(first), len(loads)))
        return results(loads, *args)

    monkeypatch.setattr(ray_data, "results", spy)
    return passes
