"""Mix on Ray (issue 19): every pass of the per-record work goes through Ray Data and writes the bytes of local processes.

The inputs are what `generate` makes of the project's seeds and its prepared general data (`project_mix_inputs`);
small batches and a small 4-gram window, as in `test_mix_runner`, so the records span many batches on the actors and
the window closes while batches are in flight; small index blocks and row groups, so those passes have many loads too.
"""

from __future__ import annotations

from test_mix_runner import build

from hum import export, mix
from hum.runners import ray_data
from hum.runners.local import Local
from hum.runners.ray import Actors, Ray


def test_mix_on_ray_writes_the_bytes_of_local_processes(small, project_mix_inputs, address, tmp_path, monkeypatch):
    monkeypatch.setattr(mix, "INDEX_BYTES", 1 << 16)
    monkeypatch.setattr(export, "ROW_GROUP", 500)
    local = build(project_mix_inputs, Local(2), tmp_path / "local")
    passes, results = [], ray_data.results

    def spied(loads, *rest):
        passes.append((type(loads.loads[0]).__name__, len(loads), loads.local))
        return results(loads, *rest)

    def on_actors(self, items):
        raise AssertionError("a pass of mix ran on the runner's own actors, not on Ray Data")

    monkeypatch.setattr(ray_data, "results", spied)
    monkeypatch.setattr(Actors, "_on_actors", on_actors)
    on_ray = build(project_mix_inputs, Ray(address=address), tmp_path / "ray")
    assert on_ray == local
    train, validation = (len(local[f"corpus/{s}.jsonl"].splitlines()) for s in ("train", "validation"))
    assert train > 10 * mix.BATCH
    assert [kind for kind, _, _ in passes] == ["Block", "Chosen", "Chosen", "GroupLoad", "GroupLoad"]
    sizes = [-(-n // per) for per in (mix.BATCH, 500) for n in (train, validation)]  # loads per pass, rounded up
    assert [n for _, n, _ in passes][1:] == sizes
    assert passes[0][1] > 3  # several index blocks
    assert all(here for _, _, here in passes)  # the workspace's files: read on this node
