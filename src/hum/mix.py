"""Mix task data with general instruction data (caps, ratios, a seeded shuffle, a validation split) without loading it all.

The corpus is planned on byte-offset pointers, one int64 per record (no Python object per record): one pass indexes
every record by task and dataset, the plan picks pointers, and the chosen records are read back one by one and
written in the planned order, each to its split as it is read (so no split is held in memory either).

The shuffle is `random.shuffle` of the whole chosen list, as it always was: its permutation depends on every
draw over all n pointers, so the same bytes need the n pointers at once (8 bytes each: 8 MB at 1M records).

What costs per record (parsing for the index, the split decision, `to_chat`, spelling every export's line, the
metrics' counts, the Parquet row groups' tables) runs on a runner's workers (`hum.runners`), batch by batch; this process
keeps what depends on order: the plan, reading the chosen lines (raw, unparsed), writing the workers' lines and tables
in planned order, the held-out pointers, and the 4-grams of each task's first records. Counts merge exactly, so every
file is the same bytes whichever runner, and however many workers, did the work.
"""

from __future__ import annotations

import hashlib
import json
import random
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from tqdm import tqdm

from hum.card import Release, write_card
from hum.export import EXPORTS, SplitWriter, converters, data_files, lines_of, preload, write_parquet
from hum.general import to_chat
from hum.io import Record, atomic_dir, loads, write_json
from hum.plots import Lengths, write_plots
from hum.provenance import model_of, write_manifest
from hum.records import input_text
from hum.report import Tally, grams_of
from hum.runners import Runner, Serves, mapped
from hum.runners.local import Local

Groups = dict[str, dict[str, np.ndarray]]  # task -> dataset -> pointers (int64: source index << 40 | byte offset)
SPLITS = ("train", "validation")
_OFFSET_BITS = 40  # a pointer is source index << 40 | byte offset of the line: sorting pointers sorts (source, offset)
BATCH = 1024  # records per task on a worker: enough that handing a batch over costs little beside its work
INDEX_BYTES = 1 << 20  # bytes of whole lines per indexing task (`Located`)
R = TypeVar("R")


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

    def add_file(self, path: Path, source: int, only_task: str | None = None, mapped: Mapper | None = None) -> None:
        """Index one JSON-lines file (task records with `meta`, or prepared records) in one streaming pass.

        The lines are parsed by `mapped` (a runner's `Pool.map`; default: here), a block at a time (`Located`).
        """
        with path.open("rb") as fh:
            blocks = (Located(lines, only_task) for lines in iter(lambda: fh.readlines(INDEX_BYTES), []))
            start = pointer(source, 0)
            for size, found in (mapped or _here)(blocks):
                for (task, dataset), offsets in found.items():
                    self.pointers[task][dataset].extend([start + offset for offset in offsets])
                start += size

    @property
    def groups(self) -> Groups:
        """The pointers as int64 arrays (views, no copy)."""
        return {t: {d: np.frombuffer(p, dtype=np.int64) for d, p in ds.items()} for t, ds in self.pointers.items()}


@dataclass(frozen=True)
class Located:
    """Whole lines of a file: where each record among them is (from the first line on), by task and dataset."""

    lines: list[bytes]
    only_task: str | None

    def run(self, work: object = None) -> tuple[int, dict[tuple[str, str], list[int]]]:
        """The lines' size, and per (task, dataset) the offsets of its records in order (blank lines have none)."""
        found: dict[tuple[str, str], list[int]] = defaultdict(list)
        offset = 0
        for line in self.lines:
            if line.strip():
                record = loads(line)
                meta = record.get("meta", record)
                if self.only_task is None or meta["task"] == self.only_task:
                    found[str(meta["task"]), str(meta["dataset"])].append(offset)
            offset += len(line)
        return offset, dict(found)


Mapper = Callable[[Iterator[Located]], Iterable[tuple[int, dict[tuple[str, str], list[int]]]]]


def _here(blocks: Iterable[Located]) -> Iterator[tuple[int, dict[tuple[str, str], list[int]]]]:
    return (block.run() for block in blocks)


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
    return map(loads, read_lines(paths, pointers))


def read_lines(paths: list[Path], pointers: Iterable[int]) -> Iterator[bytes]:
    """The raw lines at the given pointers, in the given order."""
    handles = [p.open("rb") for p in paths]
    try:
        for code in pointers:
            fh = handles[code >> _OFFSET_BITS]
            fh.seek(code & ((1 << _OFFSET_BITS) - 1))
            yield fh.readline()
    finally:
        for fh in handles:
            fh.close()


@dataclass(frozen=True)
class Rendered:
    """A batch's records as its split writes them, and what they add to the metrics.

    `held`: pointers of the records held out for validation (the train pass only); `texts`: the lines of the written
    records per file; `grams`: per task, the 4-grams of each written record whose task was not done when sent.
    """

    held: list[int]
    count: int
    texts: dict[str, str]
    tally: Tally
    lengths: Lengths
    grams: dict[str, list[list[tuple[str, ...]]]]


@dataclass(frozen=True)
class Work(Serves):
    """What every worker holds: the split's seed and share and the exports; called with each task."""

    seed: int
    share: float
    exports: tuple[str, ...]


@dataclass(frozen=True)
class Batch:
    """Raw lines of chosen records with their pointers; `train`: held-out records are set aside, not written.

    `done`: tasks whose counted 4-grams are complete, so none are sent back for them (None: no 4-grams at all).
    """

    codes: list[int]
    lines: list[bytes]
    train: bool
    done: frozenset[str] | None

    def run(self, work: Work) -> Rendered:
        held, tally, lengths, exports = list[int](), Tally(), Lengths(), converters(work.exports)
        texts: dict[str, list[str]] = defaultdict(list)
        grams: dict[str, list[list[tuple[str, ...]]]] = defaultdict(list)
        for code, line in zip(self.codes, self.lines, strict=True):
            record = loads(line)
            if self.train and held_out(split_key(record), work.seed, work.share):
                held.append(code)
                continue
            record = record if "messages" in record else to_chat(record)
            for export, text in lines_of(record, exports):
                texts[export].append(text + "\n")
            tally.add(record)
            if self.train:  # only the train split's lengths are plotted
                lengths.add(record)
            if self.done is not None and (task := str(record["meta"]["task"])) not in self.done:
                grams[task].append(grams_of(record))
        joined = {export: "".join(lines) for export, lines in texts.items()}
        return Rendered(held, len(self.codes) - len(held), joined, tally, lengths, dict(grams))


@dataclass(frozen=True)
class Inputs:
    """Where the mix reads: validated task records, prepared general data, upstream manifests and seed licences."""

    validated: Path
    prepared: Path
    sources: Path  # data/seeds/SOURCES.md
    upstream: tuple[Path, ...] = ()  # output folders whose manifest.json the card quotes, in pipeline order


def write_corpus(
    inputs: Inputs, params: dict[str, Any], out: Path, metrics: Path = Path("metrics"), runner: Runner | None = None
) -> dict[str, Any]:
    """Plan, split and write the corpus, its exports, card and manifest; then its metrics and plot data.

    The per-record work runs on `runner` (default: `hum.cores.data_workers()` local processes): same bytes on any.
    """
    mix, seed = Mix.from_params(params["mix"]), int(params["seed"])
    paths = [inputs.validated, *sorted(inputs.prepared.glob("*.train.jsonl"))]
    held = array("q")  # pointers of the validation split, in order, found while the train split is written
    tallies: dict[str, Tally] = {}
    lengths = Lengths()
    preload(mix.exports)
    with (runner or Local()).pool(Work(seed, mix.validation_share, mix.exports)) as pool, atomic_dir(out) as tmp:
        order = _order(paths, mix, seed, lambda blocks: mapped(pool, blocks))
        for split in SPLITS:
            if split != "train" and not held:
                break
            codes = order if split == "train" else held
            tallies[split] = tally = Tally()
            with SplitWriter(tmp, split, mix.exports) as writer:
                bar = tqdm(desc=f"mix {split}", total=len(codes), unit="rec", mininterval=1.0)
                for rendered in mapped(pool, _batches(paths, codes, split == "train", tally)):
                    held.extend(rendered.held)
                    writer.write_lines(rendered.count, rendered.texts)
                    _merge(tally, rendered)
                    lengths.merge(rendered.lengths)  # empty for the validation split
                    bar.update(len(rendered.held) + rendered.count)
                bar.close()
        written = [s for s, t in tallies.items() if t.records]
        if "parquet" in mix.exports:
            write_parquet(tmp, written, lambda groups: mapped(pool, groups))  # written here, row groups made on the pool
        summaries = {s: t.summary() for s, t in tallies.items()}
        counts, diversity = {s: c for s, (c, _) in summaries.items()}, summaries["train"][1]
        summary = {**counts["train"], "splits": {s: counts[s]["records"] if s in counts else 0 for s in SPLITS}}
        model = model_of(inputs.validated.parent)
        files = data_files(written, mix.exports)
        release = Release(counts, diversity, params, _manifests(inputs.upstream), model, files)
        write_card(tmp, release, inputs.sources)
        write_manifest(tmp, "mix", params, {**summary, "files": _file_hashes(tmp)}, model)
    write_json(metrics / "corpus.json", summary)
    write_json(metrics / "diversity.json", diversity)
    write_plots(metrics / "plots", counts["train"], lengths)
    return summary


def _order(paths: list[Path], mix: Mix, seed: int, located: Mapper) -> array[int]:
    """The plan's pointers, 8 bytes a record: task records from the first file, general data from the others."""
    tasks, general = Index(), Index()
    tasks.add_file(paths[0], 0, mapped=located)
    for i, path in enumerate(paths[1:], 1):
        general.add_file(path, i, only_task="general", mapped=located)
    return array("q", plan(tasks.groups, general.groups.get("general", {}), mix, seed).tobytes())


def _batches(paths: list[Path], codes: array[int], train: bool, tally: Tally) -> Iterator[Batch]:
    """The chosen records' raw lines in batches of BATCH, in planned order.

    Each batch names the tasks whose counted 4-grams `tally` already holds when the batch is sent: a task's later
    records cannot count, so their 4-grams need not be made. Only the train split's diversity is reported.
    """
    lines = read_lines(paths, codes)
    for start in range(0, len(codes), BATCH):
        chosen = codes[start : start + BATCH].tolist()
        done = frozenset(t for t, d in tally.tasks.items() if not d.wants_grams) if train else None
        yield Batch(chosen, [next(lines) for _ in chosen], train, done)


def _merge(tally: Tally, rendered: Rendered) -> None:
    """Add a batch's counts to its split's, and its 4-grams in order (a task's first GRAM_RECORDS records count)."""
    tally.merge(rendered.tally)
    for task, grams in rendered.grams.items():
        tally.tasks[task].add_grams(grams)


def summary_line(summary: dict[str, Any]) -> str:
    """The stage's one-line summary: records per split, and per task in the train split."""
    splits = ", ".join(f"{k} {v}" for k, v in summary["splits"].items())
    tasks = ", ".join(f"{k} {v}" for k, v in summary["per_task"].items())
    return f"[mix] {sum(summary['splits'].values())} records written ({splits}); train: {tasks}"


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
