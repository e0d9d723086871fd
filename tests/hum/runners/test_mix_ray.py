"""Mix on Ray (issue 19): the per-record work on the package's Ray head writes the bytes of local processes.

The inputs are what `generate` makes of the project's seeds and its prepared general data (`project_mix_inputs`);
small batches and a small 4-gram window, as in `test_mix_runner`, so the records span many batches on the actors and
the window closes while batches are in flight.
"""

from __future__ import annotations

from test_mix_runner import build

from hum import mix
from hum.runners.local import Local
from hum.runners.ray import Ray


def test_mix_on_ray_writes_the_bytes_of_local_processes(small, project_mix_inputs, address, tmp_path):
    local = build(project_mix_inputs, Local(2), tmp_path / "local")
    on_ray = build(project_mix_inputs, Ray(address=address), tmp_path / "ray")
    assert on_ray == local
    assert len(local["corpus/train.jsonl"].splitlines()) > 10 * mix.BATCH
