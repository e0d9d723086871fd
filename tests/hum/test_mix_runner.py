"""Mix's per-record work on a runner (issues 18, 19): one process and two workers write the same bytes.

The inputs are real: what `generate` makes of the project's seeds as the validated records, and its prepared general
data, mixed with the project's params. Batches and the 4-gram
window are made small, so the records span many batches and the window closes mid-run: the diversity must still be
the one process's, record by record (`corpus_metrics` over the written train split).
"""

from __future__ import annotations

import json
from pathlib import Path

from hum import mix, report
from hum.io import read_jsonl
from hum.mix import Inputs, write_corpus
from hum.provenance import load_params
from hum.runners import Runner
from hum.runners.local import Local

ROOT = Path(__file__).resolve().parents[2]


def params() -> dict:
    loaded = load_params(ROOT / "params.yaml")
    return {"seed": loaded["seed"], "mix": loaded["mix"]}


def written(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build(inputs: Inputs, runner: Runner, folder: Path) -> dict[str, bytes]:
    write_corpus(inputs, params(), folder / "corpus", folder / "metrics", runner=runner)
    return written(folder)


def test_two_workers_write_the_bytes_of_one_process(small, project_mix_inputs, tmp_path):
    one, two = build(project_mix_inputs, Local(1), tmp_path / "one"), build(project_mix_inputs, Local(2), tmp_path / "two")
    assert one == two
    assert {"corpus/train.jsonl", "corpus/train.parquet", "corpus/README.md", "metrics/diversity.json"} <= set(one)
    assert one["corpus/validation.jsonl"]  # both splits, each over several batches
    assert len(one["corpus/train.jsonl"].splitlines()) > 10 * mix.BATCH


def test_diversity_is_counted_record_by_record_in_order(small, project_mix_inputs, tmp_path):
    build(project_mix_inputs, Local(2), tmp_path)
    counts, diversity = report.corpus_metrics(read_jsonl(tmp_path / "corpus/train.jsonl"))
    assert json.loads((tmp_path / "metrics/diversity.json").read_text()) == diversity
    assert json.loads((tmp_path / "metrics/corpus.json").read_text()) == {**counts, "splits": counts_of_splits(tmp_path)}
    assert all(d["records"] > report.GRAM_RECORDS for d in diversity.values())  # the window closed in every task


def counts_of_splits(folder: Path) -> dict[str, int]:
    return {s: sum(1 for _ in read_jsonl(folder / f"corpus/{s}.jsonl")) for s in ("train", "validation")}


def test_each_train_batch_is_told_exactly_the_tasks_done_before_it(small, project_mix_inputs, tmp_path, monkeypatch):
    """The planned `done` of every train batch is what the tally, merged batch by batch in order, holds complete."""
    planned, truly, batch_done, merge = [], [], mix.batch_done, mix._merge

    def planning(tasks, names):
        planned.extend(batch_done(tasks, names))
        return planned

    def merging(tally, rendered):
        if len(truly) < len(planned):  # the train split's batches come first
            truly.append(frozenset(t for t, d in tally.tasks.items() if not d.wants_grams))
        merge(tally, rendered)

    monkeypatch.setattr(mix, "batch_done", planning)
    monkeypatch.setattr(mix, "_merge", merging)
    build(project_mix_inputs, Local(2), tmp_path)
    assert truly == planned
    assert planned[0] == frozenset()
    assert len(planned[-1]) > 1  # the window closed in several tasks before the last batch
