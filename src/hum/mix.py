"""Mix task data with general instruction data (caps, ratios, a seeded shuffle, a validation split) without loading it all.

The corpus is planned on byte-offset pointers, one int64 per record (no Python object per record): one pass indexes
every record by task and dataset, the plan picks pointers, and the chosen records are read back one by one and
written in the planned order, each to its split as it is read (so no split is held in memory either).

The shuffle is `random.shuffle` of the whole chosen list, as it always was: its permutation depends on every
draw over all n pointers, so the same bytes need the n pointers at once (8 bytes each: 8 MB at 1M records).
"""

from __future__ import annotations

import hashlib
import json
import random
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from hum.card import Release, write_card
from hum.export import EXPORTS, SplitWriter, data_files, write_parquet
from hum.general import to_chat
from hum.io import Record, atomic_dir, loads, write_json
from hum.plots import Lengths, write_plots
from hum.provenance import model_of, write_manifest
from hum.records import input_text
from hum.report import corpus_metrics

Groups = dict[str, dict[str, np.ndarray]]  # task -> dataset -> pointers (int64: source index << 40 | byte offset)
SPLITS = ("train", "validation")
_OFFSET_BITS = 40  # a pointer is source index << 40 | byte offset of the line: sorting pointers sorts (source, offset)


@dataclass(frozen=True)
class Mix:
    """The `mix` parameters; keys a config leaves out keep today's behaviour (no caps, no validation, every export)."""

    general_share: float = 0.0
    ratios: dict[str, float] = field(default_factory=dict)
    dataset_cap: int | None = None  # records per seed dataset, drawn before the task ratio (ADELIE: 5,000 per source)
    task_caps: dict[str, int | None] = field(default_factory=dict)  # records per task, after its ratio
    validation_share: float = 0.0
    exports: tuple[str, ...] = EXPORTS

    @classmethod
    def from_params(cls, mix: dict[str, Any]) -> Mix:
        """Read and check `params["mix"]`: a typo in an export name or a negative cap should stop the stage, not ship."""
        caps = mix.get("caps") or {}
        exports = EXPORTS if mix.get("exports") is None else mix["exports"]
        unknown = sorted(set(exports) - set(EXPORTS))
        if unknown:
            raise ValueError(f"mix.exports: unknown {unknown}; known: {list(EXPORTS)}")
        config = cls(
            general_share=float(mix.get("general_share", 0.0)),
            ratios={str(k): float(v) for k, v in (mix.get("ratios") or {}).items()},
            dataset_cap=_count(caps.get("dataset")),
            task_caps={str(k): _count(v) for k, v in (caps.get("task") or {}).items()},
            validation_share=float(mix.get("validation_share", 0.0)),
            exports=tuple(e for e in EXPORTS if e in exports),
        )
        if any(c is not None and c < 0 for c in (config.dataset_cap, *config.task_caps.values())):
            raise ValueError("mix.caps: a cap is a record count >= 0, or null for none")
        if not 0.0 <= config.validation_share < 1.0 or not 0.0 <= config.general_share <= 1.0:
            raise ValueError("mix.validation_share must be in [0, 1) and mix.general_share in [0, 1]")
        return config


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def pointer(source: int, offset: int) -> int:
    """The pointer of the line at `offset` of source file number `source`."""
    return source << _OFFSET_BITS | offset


def _pointers() -> array[int]:
    return array("q")


@dataclass
class Index:
    """Pointers to every record, grouped by task and dataset: 8 bytes per record."""

    pointers: dict[str, dict[str, array[int]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(_pointers)))

    def add_file(self, path: Path, source: int, only_task: str | None = None) -> None:
        """Index one JSON-lines file (task records with `meta`, or prepared records) in one streaming pass."""
        with path.open("rb") as fh:
            offset = 0
            for line in fh:
                if line.strip():
                    record = loads(line)
                    meta = record.get("meta", record)
                    if only_task is None or meta["task"] == only_task:
                        self.pointers[str(meta["task"])][str(meta["dataset"])].append(pointer(source, offset))
                offset += len(line)

    @property
    def groups(self) -> Groups:
        """The pointers as int64 arrays (views, no copy)."""
        return {t: {d: np.frombuffer(p, dtype=np.int64) for d, p in ds.items()} for t, ds in self.pointers.items()}


def split_key(record: Record) -> str:
    """The seed text a record is about, case- and spacing-blind: all instructions on one text fall on one side.

    Splitting by text (as `prepare` holds out its eval split) keeps every question on one passage together; a
    record without an input text (an empty `text_span`) falls back to its seed record.
    """
    if "meta" not in record:  # a prepared general record, before `to_chat`
        text = str(record["text"])
    else:
        text = input_text(record) if record["meta"].get("text_span", [0, 0])[1] else ""
    if not text.strip():
        meta = record.get("meta", record)
        return f"seed:{meta['dataset']}/{meta.get('seed_id', record.get('id'))}"
    return " ".join(text.casefold().split())


def held_out(key: str, seed: int, share: float) -> bool:
    """Stable, seeded choice of validation texts: a text keeps its side whatever the caps and ratios.

    The salt differs from `prepare`'s eval hold-out, whose texts never reach the mix: with the same hash the
    validation draw would fall only on texts that are already gone.
    """
    if share <= 0:
        return False
    h = hashlib.sha256(f"{seed}:mix.validation:{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < share


def _rng(seed: int, *names: str) -> random.Random:
    """An RNG per decision (cap of one dataset, ratio of one task, ...), so adding a dataset changes no other draw."""
    return random.Random(":".join((str(seed), *names)))  # str seeds hash with sha512: stable across runs


def sample(pointers: np.ndarray, fraction: float, rng: random.Random) -> np.ndarray:
    """A seeded subset of `fraction` of the pointers (all of them at 1.0), in file order."""
    return take(pointers, round(len(pointers) * fraction), rng)


def take(pointers: np.ndarray, k: int | None, rng: random.Random) -> np.ndarray:
    """A seeded subset of at most `k` pointers (all at None), in file order.

    `rng.sample` of positions draws exactly as `rng.sample` of the sorted pointers did (its draws depend on the
    count and k only), without a Python object per pointer.
    """
    ordered = np.sort(pointers)
    if k is None or k >= len(ordered):
        return ordered
    return ordered[sorted(rng.sample(range(len(ordered)), k))]


def capped(datasets: dict[str, np.ndarray], cap: int | None, seed: int, task: str) -> np.ndarray:
    """Each dataset of a task cut to `cap` records, so one large source cannot dominate its task."""
    parts = [take(datasets[name], cap, _rng(seed, "cap", task, name)) for name in sorted(datasets)]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def plan(tasks: Groups, general: dict[str, np.ndarray], mix: Mix, seed: int) -> np.ndarray:
    """Which records, in which order: per dataset caps, then task ratios and caps, then general data to make its share."""
    chosen: list[np.ndarray] = []
    for task in sorted(tasks):
        pool = capped(tasks[task], mix.dataset_cap, seed, task)
        kept = sample(pool, mix.ratios.get(task, 1.0), _rng(seed, "ratio", task))
        chosen.append(take(kept, mix.task_caps.get(task), _rng(seed, "task cap", task)))
    pool = capped(general, mix.dataset_cap, seed, "general")
    share, count = mix.general_share, sum(len(c) for c in chosen)
    wanted = round(count * share / (1.0 - share)) if share < 1 else len(pool)
    chosen.append(take(pool, min(wanted, len(pool)), _rng(seed, "general")))
    order = np.concatenate(chosen)
    _rng(seed, "shuffle").shuffle(order)  # type: ignore[arg-type]  # swaps items one by one, as on a list: same permutation
    return order


def read_pointers(paths: list[Path], pointers: Iterable[int]) -> Iterator[Record]:
    """Records at the given pointers, in the given order."""
    handles = [p.open("rb") for p in paths]
    try:
        for code in pointers:
            fh = handles[code >> _OFFSET_BITS]
            fh.seek(code & ((1 << _OFFSET_BITS) - 1))
            yield loads(fh.readline())
    finally:
        for fh in handles:
            fh.close()


@dataclass(frozen=True)
class Inputs:
    """Where the mix reads: validated task records, prepared general data, upstream manifests and seed licences."""

    validated: Path
    prepared: Path
    sources: Path  # data/seeds/SOURCES.md
    upstream: tuple[Path, ...] = ()  # output folders whose manifest.json the card quotes, in pipeline order


def write_corpus(inputs: Inputs, params: dict[str, Any], out: Path, metrics: Path = Path("metrics")) -> dict[str, Any]:
    """Plan, split and write the corpus, its exports, card and manifest; then its metrics and plot data."""
    mix, seed = Mix.from_params(params["mix"]), int(params["seed"])
    general_files = sorted(inputs.prepared.glob("*.train.jsonl"))
    tasks, general = Index(), Index()
    tasks.add_file(inputs.validated, 0)
    for i, path in enumerate(general_files, 1):
        general.add_file(path, i, only_task="general")
    order = array("q", plan(tasks.groups, general.groups.get("general", {}), mix, seed).tobytes())  # 8 bytes a record
    del tasks, general
    paths = [inputs.validated, *general_files]
    held = array("q")  # pointers of the validation split, in order, found while the train split is written
    counts: dict[str, dict[str, Any]] = {}
    diversity: dict[str, dict[str, Any]] = {}
    lengths = Lengths()
    with atomic_dir(out) as tmp:
        for split in SPLITS:
            if split == "train":
                chosen = _train(zip(order, read_pointers(paths, order), strict=True), held, seed, mix.validation_share)
            elif held:
                chosen = read_pointers(paths, held)
            else:
                break
            records = (r if "messages" in r else to_chat(r) for r in chosen)
            bar = tqdm(records, desc=f"mix {split}", total=len(order if split == "train" else held), unit="rec", mininterval=1.0)
            with SplitWriter(tmp, split, mix.exports) as writer:
                counts[split], diversity[split] = corpus_metrics(_written(writer, bar, lengths if split == "train" else None))
        written = [s for s in counts if counts[s]["records"]]
        if "parquet" in mix.exports:
            write_parquet(tmp, written)
        summary = {**counts["train"], "splits": {s: counts[s]["records"] if s in counts else 0 for s in SPLITS}}
        model = model_of(inputs.validated.parent)
        files = data_files(written, mix.exports)
        release = Release(counts, diversity["train"], params, _manifests(inputs.upstream), model, files)
        write_card(tmp, release, inputs.sources)
        write_manifest(tmp, "mix", params, {**summary, "files": _file_hashes(tmp)}, model)
    write_json(metrics / "corpus.json", summary)
    write_json(metrics / "diversity.json", diversity["train"])
    write_plots(metrics / "plots", counts["train"], lengths)
    return summary


def summary_line(summary: dict[str, Any]) -> str:
    """The stage's one-line summary: records per split, and per task in the train split."""
    splits = ", ".join(f"{k} {v}" for k, v in summary["splits"].items())
    tasks = ", ".join(f"{k} {v}" for k, v in summary["per_task"].items())
    return f"[mix] {sum(summary['splits'].values())} records written ({splits}); train: {tasks}"


def _train(chosen: Iterable[tuple[int, Record]], held: array[int], seed: int, share: float) -> Iterator[Record]:
    """The records of the train split; the pointers of those whose seed text is held out go to `held`, in order."""
    for code, record in chosen:
        if held_out(split_key(record), seed, share):
            held.append(code)
        else:
            yield record


def _written(writer: SplitWriter, records: Iterable[Record], lengths: Lengths | None) -> Iterator[Record]:
    for rec in records:
        writer.write(rec)
        if lengths is not None:
            lengths.add(rec)
        yield rec


def _manifests(folders: Iterable[Path]) -> list[dict[str, Any]]:
    """The manifests of upstream outputs: the params (and their sha256) every earlier stage ran with."""
    return [json.loads((folder / "manifest.json").read_text(encoding="utf-8")) for folder in folders]


def _file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file of the release, by path relative to the corpus folder, so a copy can be checked."""
    hashes: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "manifest.json"):
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        hashes[path.relative_to(folder).as_posix()] = digest.hexdigest()
    return hashes
