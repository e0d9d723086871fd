"""Mix task data with general instruction data (caps, ratios, a seeded shuffle, a validation split) without loading it all.

The corpus is planned on byte-offset pointers, one int64 per record (no Python object per record): one pass indexes
every record by task and dataset, the plan picks pointers, and the chosen records are read back one by one and
written in the planned order, each to its split as it is read (so no split is held in memory either).

The shuffle is `random.shuffle` of the whole chosen list, as it always was: its permutation depends on every
draw over all n pointers, so the same bytes need the n pointers at once (8 bytes each: 8 MB at 1M records).

What costs per record runs on a runner's workers (`hum.runners`), as loads (`hum.runners.Loads`) that read their own
lines where they run, so that Ray runs them through Ray Data: the index's blocks of whole lines (`Block`: parsing, the
split decision), the chosen records' batches (`Chosen`: `to_chat`, every export's line, the metrics' counts) and the
Parquet row groups (`hum.export.GroupLoad`). This process keeps what depends on order: the plan, writing the
workers' lines and tables in planned order, and the 4-grams of each task's first records.
Every load is known before its pass starts, because nothing a pass finds changes what the next one reads: the
index says which records are held out for validation (a record's side depends on its own text only), so the
plan's train and validation pointers are known before anything is written; and which tasks' 4-grams are complete
before a train batch (`Diversity.wants_grams`: GRAM_RECORDS written records) is counted from each planned record's
task, which the shuffle carries along. Counts merge exactly, so every file is the same bytes whichever runner, and
however many workers, did the work.
"""

from __future__ import annotations

import hashlib
import json
import random
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from hum import report
from hum.card import Release, write_card
from hum.export import EXPORTS, SplitWriter, converters, data_files, lines_of, preload, write_parquet
from hum.general import to_chat
from hum.io import Record, atomic_dir, loads, write_json
from hum.plots import Lengths, write_plots
from hum.provenance import model_of, write_manifest
from hum.records import input_text
from hum.report import Tally, grams_of
from hum.runners import Loads, Runner, Serves, mapped
from hum.runners.local import Local
from hum.spans import read_span, spans_of_bytes

Groups = dict[str, dict[str, np.ndarray]]  # task -> dataset -> pointers (int64: source index << 40 | byte offset)
SPLITS = ("train", "validation")
_OFFSET_BITS = 40  # a pointer is source index << 40 | byte offset of the line: sorting pointers sorts (source, offset)
_TASK_SHIFT = 56  # while the plan is shuffled, each pointer carries its task's number above the source's 16 bits
BATCH = 1024  # records per task on a worker: enough that handing a batch over costs little beside its work
INDEX_BYTES = 1 << 20  # bytes of whole lines per indexing task (`Block`)
CHUNK = 1 << 16  # pointers looked up at a time (`isin_sorted`)
Found = tuple[dict[tuple[str, str], list[int]], list[int]]  # what `Located.run` finds: offsets by (task, dataset), held


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
    """Pointers to every record, grouped by task and dataset, and those of the held-out records: 8 bytes per record."""

    pointers: dict[str, dict[str, array[int]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(_pointers)))
    held: array[int] = field(default_factory=_pointers)  # in file order

    def add(self, block: Block, found: Found) -> None:
        """What `Located.run` found in a block: its offsets, from the block's start, become pointers."""
        start, (located, held) = pointer(block.source, block.start), found
        for (task, dataset), offsets in located.items():
            self.pointers[task][dataset].extend([start + offset for offset in offsets])
        self.held.extend([start + offset for offset in held])

    @property
    def groups(self) -> Groups:
        """The pointers as int64 arrays (views, no copy)."""
        return {t: {d: np.frombuffer(p, dtype=np.int64) for d, p in ds.items()} for t, ds in self.pointers.items()}


@dataclass(frozen=True)
class Block:
    """Whole lines of a file to index, bytes `[start, end)` of source number `source`: a load, read where it runs.

    The path is absolute: Ray's workers run in another folder.
    """

    path: Path
    source: int
    start: int
    end: int
    only_task: str | None

    def __call__(self) -> Located:
        return Located(read_span(self.path, self.start, self.end), self.only_task)


@dataclass(frozen=True)
class Located:
    """Whole lines of a file: where each record among them is (from the first line on), by task and dataset."""

    lines: list[bytes]
    only_task: str | None

    def run(self, work: Work) -> Found:
        """Per (task, dataset) the offsets of its records in order (blank lines have none), and of those held out.

        A record's side is `held_out` of the record as read, as the train pass would decide it: the same bytes.
        """
        found: dict[tuple[str, str], list[int]] = defaultdict(list)
        held, offset = list[int](), 0
        for line in self.lines:
            if line.strip():
                record = loads(line)
                meta = record.get("meta", record)
                if self.only_task is None or meta["task"] == self.only_task:
                    found[str(meta["task"]), str(meta["dataset"])].append(offset)
                    if held_out(split_key(record), work.seed, work.share):
                        held.append(offset)
            offset += len(line)
        return dict(found), held


Mapper = Callable[[Loads[Located]], Iterable[Found]]


def index(paths: list[Path], mapped: Mapper) -> tuple[Index, Index]:
    """Task records of the first file and general records of the others, indexed block by block on `mapped` (a pool).

    The blocks are planned from each file's size (`hum.spans.spans_of_bytes`): the pointers are the same whatever
    the blocks.
    """
    blocks = [
        Block(path.resolve(), source, start, end, "general" if source else None)
        for source, path in enumerate(paths)
        for start, end in spans_of_bytes(path, INDEX_BYTES)
    ]
    tasks, general = Index(), Index()
    for block, found in zip(blocks, mapped(Loads(blocks)), strict=True):
        (general if block.source else tasks).add(block, found)
    return tasks, general


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
    """Which records, in which order: the `chosen` records in a seeded shuffle."""
    return shuffled(chosen(tasks, general, mix, seed), seed)[0]


def chosen(tasks: Groups, general: dict[str, np.ndarray], mix: Mix, seed: int) -> list[tuple[str, np.ndarray]]:
    """Each task's records, general data last: caps per dataset, then task ratios and caps, then general data's share."""
    parts: list[tuple[str, np.ndarray]] = []
    for task in sorted(tasks):
        pool = capped(tasks[task], mix.dataset_cap, seed, task)
        kept = sample(pool, mix.ratios.get(task, 1.0), _rng(seed, "ratio", task))
        parts.append((task, take(kept, mix.task_caps.get(task), _rng(seed, "task cap", task))))
    pool = capped(general, mix.dataset_cap, seed, "general")
    share, count = mix.general_share, sum(len(c) for _, c in parts)
    wanted = round(count * share / (1.0 - share)) if share < 1 else len(pool)
    return [*parts, ("general", take(pool, min(wanted, len(pool)), _rng(seed, "general")))]


def shuffled(parts: list[tuple[str, np.ndarray]], seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The parts' pointers in a seeded shuffle, and each one's task: a number (uint8) into the sorted task names.

    The shuffle permutes positions whatever they hold, so each pointer carries its task's number in its top bits
    while it is shuffled: the tasks come out in the pointers' order for a byte each, and no second shuffle.
    """
    names = sorted({name for name, _ in parts})
    if len(names) >= 1 << (63 - _TASK_SHIFT) or any(len(p) and int(p.max()) >> _TASK_SHIFT for _, p in parts):
        raise ValueError(f"mix: at most {(1 << (63 - _TASK_SHIFT)) - 1} tasks, {1 << (_TASK_SHIFT - _OFFSET_BITS)} files")
    order = np.concatenate([part | names.index(name) << _TASK_SHIFT for name, part in parts])
    _rng(seed, "shuffle").shuffle(order)  # type: ignore[arg-type]  # swaps items one by one, as on a list: same permutation
    tasks = (order >> _TASK_SHIFT).astype(np.uint8)
    np.bitwise_and(order, (1 << _TASK_SHIFT) - 1, out=order)
    return order, tasks, names


@dataclass(frozen=True)
class Planned:
    """The plan by split, each in planned order: train pointers, the `done` of each train batch, validation pointers."""

    train: np.ndarray
    done: list[frozenset[str]]
    validation: np.ndarray


def planned(paths: list[Path], mix: Mix, seed: int, mapped: Mapper) -> Planned:
    """The plan's pointers by split: task records from the first file, general data from the others.

    The held-out records are known from the index, so the train split is the plan less them and the validation
    split is them, in planned order: what setting them aside while the train split is written gave.
    """
    tasks, general = index(paths, mapped)
    order, codes, names = shuffled(chosen(tasks.groups, general.groups.get("general", {}), mix, seed), seed)
    held = isin_sorted(order, np.sort(np.frombuffer(tasks.held + general.held, dtype=np.int64)))
    train = ~held
    return Planned(order[train], batch_done(codes[train], names), order[held])


def isin_sorted(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Whether each value is among the sorted `members`: a bool each, CHUNK values looked up at a time."""
    found = np.zeros(len(values), dtype=bool)
    for start in range(0, len(values) if len(members) else 0, CHUNK):
        part = values[start : start + CHUNK]
        found[start : start + CHUNK] = members[np.searchsorted(members, part).clip(max=len(members) - 1)] == part
    return found


def batch_done(tasks: np.ndarray, names: list[str]) -> list[frozenset[str]]:
    """For each train batch (BATCH records of `tasks`, numbers into `names`), the tasks whose 4-grams are complete.

    A task is done when GRAM_RECORDS of its records are written before the batch: exactly when its tally stops
    wanting grams (`Diversity.wants_grams`), so no worker makes a 4-gram that is not counted, and none that is is missed.
    """
    counts, done = np.zeros(len(names), dtype=np.int64), list[frozenset[str]]()
    for start in range(0, len(tasks), BATCH):
        done.append(frozenset(n for n, c in zip(names, counts.tolist(), strict=True) if c >= report.GRAM_RECORDS))
        counts += np.bincount(tasks[start : start + BATCH], minlength=len(names))
    return done


def read_pointers(paths: Sequence[Path], pointers: Iterable[int]) -> Iterator[Record]:
    """Records at the given pointers, in the given order."""
    return map(loads, read_lines(paths, pointers))


def read_lines(paths: Sequence[Path], pointers: Iterable[int]) -> Iterator[bytes]:
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

    `texts`: the lines of the written records per file; `grams`: per task, the 4-grams of each written record whose
    task was not done before its batch.
    """

    count: int
    texts: dict[str, str]
    tally: Tally
    lengths: Lengths
    grams: dict[str, list[list[tuple[str, ...]]]]


@dataclass(frozen=True)
class Work(Serves):
    """What every worker holds: the validation split's seed and share and the exports; called with each task."""

    seed: int
    share: float
    exports: tuple[str, ...]


@dataclass(frozen=True)
class Chosen:
    """A batch to read: chosen records' pointers into `paths` (absolute: Ray's workers run elsewhere), a load.

    `train`: the batch is of the train split; `done`: tasks whose 4-grams are complete before it (None: no 4-grams).
    """

    paths: tuple[Path, ...]
    codes: np.ndarray
    train: bool
    done: frozenset[str] | None

    def __call__(self) -> Batch:
        return Batch(list(read_lines(self.paths, self.codes.tolist())), self.train, self.done)


@dataclass(frozen=True)
class Batch:
    """Raw lines of chosen records of one split (`train`: its lengths are plotted), and the tasks `done` before them.

    `done`: tasks whose counted 4-grams are complete, so none are sent back for them (None: no 4-grams at all).
    """

    lines: list[bytes]
    train: bool
    done: frozenset[str] | None

    def run(self, work: Work) -> Rendered:
        tally, lengths, exports = Tally(), Lengths(), converters(work.exports)
        texts: dict[str, list[str]] = defaultdict(list)
        grams: dict[str, list[list[tuple[str, ...]]]] = defaultdict(list)
        for line in self.lines:
            record = loads(line)
            record = record if "messages" in record else to_chat(record)
            for export, text in lines_of(record, exports):
                texts[export].append(text + "\n")
            tally.add(record)
            if self.train:  # only the train split's lengths are plotted
                lengths.add(record)
            if self.done is not None and (task := str(record["meta"]["task"])) not in self.done:
                grams[task].append(grams_of(record))
        joined = {export: "".join(lines) for export, lines in texts.items()}
        return Rendered(len(self.lines), joined, tally, lengths, dict(grams))


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
    tallies: dict[str, Tally] = {}
    lengths = Lengths()
    preload(mix.exports)
    with (runner or Local()).pool(Work(seed, mix.validation_share, mix.exports)) as pool, atomic_dir(out) as tmp:
        splits = planned(paths, mix, seed, lambda blocks: mapped(pool, blocks))
        for split, codes, done in (("train", splits.train, splits.done), ("validation", splits.validation, None)):
            if split == "train" or len(codes):
                batches = mapped(pool, _batches(paths, codes, split == "train", done))
                tallies[split] = _write_split(tmp, split, mix.exports, batches, total=len(codes), lengths=lengths)
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


def _batches(paths: list[Path], codes: np.ndarray, train: bool, done: list[frozenset[str]] | None) -> Loads[Batch]:
    """The chosen records in batches of BATCH, in planned order, as loads: each reads its lines where it runs."""
    absolute = tuple(path.resolve() for path in paths)
    return Loads(
        [
            Chosen(absolute, codes[start : start + BATCH], train, None if done is None else done[i])
            for i, start in enumerate(range(0, len(codes), BATCH))
        ]
    )


def _write_split(
    folder: Path, split: str, exports: tuple[str, ...], batches: Iterable[Rendered], *, total: int, lengths: Lengths
) -> Tally:
    """Write a split's batches as they come, in planned order: its tally, and lengths merged (the train split's only)."""
    tally = Tally()
    with (
        SplitWriter(folder, split, exports) as writer,
        tqdm(desc=f"mix {split}", total=total, unit="rec", mininterval=1.0) as bar,
    ):
        for rendered in batches:
            writer.write_lines(rendered.count, rendered.texts)
            _merge(tally, rendered)
            lengths.merge(rendered.lengths)  # empty for the validation split
            bar.update(rendered.count)
    return tally


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
