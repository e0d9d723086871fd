"""Mix on Ray (issue 19): the per-record work on the package's Ray head writes the bytes of local processes.

The inputs are what `generate` makes of the project's seeds and its prepared general data (`project_mix_inputs`);
small batches and a small 4-gram window, as in `test_mix_runner`, so the records span many batches on the actors and
the window closes while batches are in flight.
"""

from __future__ import annotations

from pathlib import Path

from hum import mix, report
from hum.mix import Inputs, write_corpus
from hum.provenance import load_params
from hum.runners import Runner
from hum.runners.local import Local
from hum.runners.ray import Ray

ROOT = Path(__file__).resolve().parents[3]


def build(inputs: Inputs, runner: Runner, folder: Path) -> dict[str, bytes]:
    """Every file the mix writes with the project's params (corpus and metrics), by relative path."""
    loaded = load_params(ROOT / "params.yaml")
    write_corpus(inputs, {"seed": loaded["seed"], "mix": loaded["mix"]}, folder / "corpus", folder / "metrics", runner=runner)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_mix_on_ray_writes_the_bytes_of_local_processes(project_mix_inputs, address, tmp_path, monkeypatch):
    monkeypatch.setattr(mix, "BATCH", 64)
    monkeypatch.setattr(report, "GRAM_RECORDS", 40)
    local = build(project_mix_inputs, Local(2), tmp_path / "local")
    on_ray = build(project_mix_inputs, Ray(address=address), tmp_path / "ray")
    assert on_ray == local
    assert len(local["corpus/train.jsonl"].splitlines()) > 10 * mix.BATCH
