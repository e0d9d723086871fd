"""Seed preparation: load a dataset's files, normalise each row, validate the batch with pandera."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from hum.errors import HumInputError
from hum.io import Record, atomic_open, dumps, read_jsonl, write_json
from hum.loaders import load, source
from hum.normalise import NORMALISERS, FieldError, normalise
from hum.seedformats.columns import problems as column_problems
from hum.step import batched
from hum.tasks import TASKS
from hum.textnorm import clean
from hum.windows import windowed

MAX_TEXT_CHARS = 8000  # prepare.max_text_chars where params leave it out: validate.max_user_chars, a whole prompt
WINDOW_COUNTS = ("windows", "windowed_answerable", "windowed_unanswerable")  # windows written; only for a windowed MRC dataset


@dataclass(frozen=True)
class Bad:
    """A row that failed, with everything a person needs to find and fix it."""

    path: str
    where: str
    field: str
    problem: str

    def error(self) -> HumInputError:
        """As an exception, for `on_error=raise`."""
        return HumInputError(self.path, self.where, self.field, self.problem)


def check_config(cfg: dict[str, Any], params_file: str = "params.yaml") -> None:
    """A dataset config's own mistakes (no or an unknown task, a bad column path): config errors, whatever `on_error` says."""
    where = f"datasets.{cfg.get('name', '?')}"
    if cfg.get("task") is None:
        raise HumInputError(params_file, where, "task", f"missing; choose one of {sorted(NORMALISERS)}")
    if cfg["task"] not in NORMALISERS:
        raise HumInputError(params_file, where, "task", f"unknown task {cfg['task']!r}; choose one of {sorted(NORMALISERS)}")
    if (problem := next(column_problems(cfg), None)) is not None:
        raise HumInputError(params_file, where, *problem)


def rows(
    cfg: dict[str, Any], split: str, max_text_chars: int | None = None, mrc_window: int | None = None
) -> Iterator[tuple[str, Record | Bad]]:
    """Normalised records of one split, or a `Bad` for a row that cannot be normalised or whose text is too long."""
    check_config(cfg)
    path = source(cfg, split)
    for index, (where, row) in enumerate(load(cfg, split)):
        if isinstance(row, HumInputError):
            yield where, Bad(row.path, where, row.field, row.problem)
            continue
        try:
            record: Record | Bad = capped(normalise(row, cfg, f"{split}-{index}"), max_text_chars, mrc_window)
        except FieldError as exc:
            record = Bad(path, where, exc.field, exc.problem)
        except (KeyError, TypeError, ValueError) as exc:
            record = Bad(path, where, "<record>", f"cannot normalise: {exc!r}")
        yield where, record


def capped(record: Record, max_text_chars: int | None, mrc_window: int | None = None) -> Record:
    """The record if its text fits `prepare.max_text_chars`: a longer one cannot fit an instruction's prompt.

    An MRC context is let through when `prepare.mrc_window` is set: it is cut into windows instead (`hum.windows`).
    """
    text = record["text"]
    if mrc_window is not None and record["task"] == "mrc":
        return record
    if max_text_chars is not None and isinstance(text, str) and len(text) > max_text_chars:
        raise FieldError("text", f"{len(text)} characters, over prepare.max_text_chars={max_text_chars}")
    return record


def check_batch(batch: list[tuple[str, Record]], path: str, labelset: set[str] | None, seen: set[str]) -> list[Bad]:
    """All problems of a batch at once: ids (also against earlier batches), empty text, offsets, labels."""
    import pandas as pd  # noqa: PLC0415 - pandas and pandera load for the prepare stage, not for every reader of prepared data

    from hum.schemas import SEED_SCHEMA, SPAN_SCHEMA, failures, repeated_ids  # noqa: PLC0415 - as above

    where = [w for w, _ in batch]
    records = [r for _, r in batch]
    bad = [Bad(path, where[i], "id", "duplicate id") for i in repeated_ids([r["id"] for r in records], seen)]
    seeds = pd.DataFrame({"id": [r["id"] for r in records], "text": [r["text"] for r in records]})
    bad += [Bad(path, where[i], f, p) for i, f, p in failures(SEED_SCHEMA, seeds)]
    task = TASKS.get(records[0]["task"])
    spans = [(i, s) for i, r in enumerate(records) for s in (task.spans(r) if task else [])]
    if spans:
        frame = pd.DataFrame(
            {
                "start": [s.start for _, s in spans],
                "end": [s.end for _, s in spans],
                "span": [s.text for _, s in spans],
                "actual": [records[i]["text"][s.start : s.end] for i, s in spans],
                "text_len": [len(records[i]["text"]) for i, _ in spans],
                "label": [s.label for _, s in spans],
                "known": [labelset is None or s.label in labelset for _, s in spans],
            }
        )
        fields = pd.Series([s.field for _, s in spans])
        bad += [Bad(path, where[spans[i][0]], f, p) for i, f, p in failures(SPAN_SCHEMA, frame, fields)]
    if task and labelset is not None and not spans:
        bad += [
            Bad(path, where[i], "labels", f"label {lab!r} is not in the dataset's label set")
            for i, r in enumerate(records)
            for lab in task.labels_of(r)
            if lab not in labelset
        ]
    return bad


def validated(
    cfg: dict[str, Any],
    split: str,
    labelset: set[str] | None,
    batch_size: int = 512,
    max_text_chars: int | None = None,
    *,
    mrc_window: int | None = None,
) -> Iterator[Record | Bad]:
    """Records of a split that pass every check, and `Bad`s (all of a batch together) for those that do not."""
    seen: set[str] = set()
    for chunk in batched(rows(cfg, split, max_text_chars, mrc_window), batch_size):
        good = [(w, r) for w, r in chunk if not isinstance(r, Bad)]
        yield from (r for _, r in chunk if isinstance(r, Bad))
        problems = check_batch(good, source(cfg, split), labelset, seen) if good else []
        bad_where = {b.where for b in problems}
        yield from problems
        yield from (r for w, r in good if w not in bad_where)


def text_key(text: str) -> str:
    """Case- and spacing-blind identity of a text, for hold-out and decontamination."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()


def held_out(key: str, seed: int, fraction: float) -> bool:
    """Stable, seeded choice of evaluation texts for datasets that ship one split only.

    It is made per text, not per record, so that every question on one passage lands on the same side.
    """
    h = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < fraction


def labels_in(cfg: dict[str, Any]) -> set[str]:
    """The label set a dataset's splits use (when its config names none)."""
    task = TASKS.get(cfg["task"])
    splits = ("train", "eval") if cfg.get("eval") else ("train",)
    return {lab for split in splits for _, r in rows(cfg, split) if task and not isinstance(r, Bad) for lab in task.labels_of(r)}


def prepare_dataset(cfg: dict[str, Any], params: dict[str, Any], seed: int, out: Path) -> dict[str, int]:
    """Write `<name>.train.jsonl` (feeds generation) and `<name>.eval.jsonl` (kept aside); return counts.

    The eval split is read first: training records whose text it contains are dropped (decontamination).
    Configured labels are compared in NFC, the form records are normalised to. A long MRC context is cut into
    windows (`prepare.mrc_window`, see `hum.windows`), each a record; the whole context decides the side, so
    overlapping windows never straddle train and eval.
    """
    check_config(cfg)
    labelset = {clean(lab) for lab in cfg["labels"]} if cfg.get("labels") else labels_in(cfg) or None
    cap, window = params.get("max_text_chars", MAX_TEXT_CHARS), window_size(cfg, params)
    counts = {"train": 0, "eval": 0, "decontaminated": 0, "quarantined": 0}
    counts |= dict.fromkeys(WINDOW_COUNTS if window else (), 0)
    bads: list[Bad] = []
    eval_texts: set[str] = set()
    with atomic_open(out / f"{cfg['name']}.train.jsonl") as train, atomic_open(out / f"{cfg['name']}.eval.jsonl") as held:
        for split in ("eval", "train") if cfg.get("eval") else ("train",):
            for item in tqdm(
                validated(cfg, split, labelset, max_text_chars=cap, mrc_window=window),
                desc=f"prepare {cfg['name']} ({split})",
                unit="rec",
                mininterval=1.0,
            ):
                if isinstance(item, Bad):
                    bads.append(item)
                    continue
                key = text_key(item["text"])
                for piece in windowed(item, window) if window else [item]:
                    if split == "eval" or (not cfg.get("eval") and held_out(key, seed, params["eval_fraction"])):
                        eval_texts.add(key)
                        counts["eval"] += 1
                        held.write(dumps(piece) + "\n")
                    elif key in eval_texts:
                        counts["decontaminated"] += 1
                        continue
                    elif counts["train"] < params["max_records"]:
                        counts["train"] += 1
                        train.write(dumps(piece) + "\n")
                    else:
                        continue
                    count_window(counts, piece)
    if bads and params["on_error"] == "raise":
        raise too_bad(bads)
    counts["quarantined"] = len({(b.path, b.where) for b in bads})
    with atomic_open(out / f"{cfg['name']}.quarantine.jsonl") as fh:
        fh.writelines(dumps({"file": b.path, "where": b.where, "field": b.field, "reason": b.problem}) + "\n" for b in bads)
    write_json(out / f"{cfg['name']}.labels.json", sorted(labelset or []))
    return counts


def window_size(cfg: dict[str, Any], params: dict[str, Any], params_file: str = "params.yaml") -> int | None:
    """`prepare.mrc_window` for an MRC dataset (None for others, or when off); a window must fit `max_text_chars`."""
    size = params.get("mrc_window") if cfg["task"] == "mrc" else None
    cap = params.get("max_text_chars", MAX_TEXT_CHARS)
    if size is not None and size > cap:
        raise HumInputError(params_file, "prepare", "mrc_window", f"{size} is over prepare.max_text_chars={cap}")
    return size


def count_window(counts: dict[str, int], record: Record) -> None:
    """Count a written window of a long MRC context, answerable or not (a context that fit is no window)."""
    if "window" in record:
        counts["windows"] += 1
        counts["windowed_answerable" if record["answers"] else "windowed_unanswerable"] += 1


class BadDatasetsError(ValueError):
    """The bad input of every dataset at once, so one run shows all that is wrong."""


def prepare_all(datasets: dict[str, dict[str, Any]], params: dict[str, Any], seed: int, out: Path) -> dict[str, dict[str, int]]:
    """Prepare every dataset into `out`; raise `BadDatasetsError` listing each failing dataset's problems after trying all."""
    counts, errors = {}, []
    for name, cfg in sorted(datasets.items()):
        try:
            counts[name] = prepare_dataset(cfg, params, seed, out)
        except HumInputError as exc:
            errors.append(str(exc))
    if errors:
        head = f"bad input in {len(errors)} of {len(datasets)} datasets, nothing published:"
        raise BadDatasetsError("\n".join([head, *errors]))
    return counts


def too_bad(bads: list[Bad]) -> HumInputError:
    """One error for all problems found (pandera validates lazily): the first, then the others listed."""
    first = bads[0].error()
    if len(bads) > 1:
        rest = "\n".join(str(b.error()) for b in bads[1:21])
        more = f"\n... and {len(bads) - 21} more" if len(bads) > 21 else ""  # noqa: PLR2004
        first.args = (f"{first}\n{len(bads) - 1} more problem(s):\n{rest}{more}",)
    return first


def train_records(folder: Path, exclude_task: str) -> Iterator[Record]:
    """Every prepared training record but those of `exclude_task`, dataset by dataset in name order."""
    for path in train_files(folder, exclude_task):
        yield from read_jsonl(path)


def train_files(folder: Path, exclude_task: str) -> list[Path]:
    """The prepared training files in name order, but those of `exclude_task`: where `train_records` reads.

    `prepare` writes one dataset a file and stamps each record with its dataset's task (`hum.normalise.normalise`),
    so a file's first record tells the task of all of them: no file is read through to be chosen.
    """
    return [path for path in sorted(folder.glob("*.train.jsonl")) if _task(path) != exclude_task]


def _task(path: Path) -> str | None:
    """The task of a prepared file's records; None when it holds none."""
    first = next(read_jsonl(path), None)
    return None if first is None else str(first["task"])


def load_labelsets(folder: Path) -> dict[str, list[str]]:
    """Label set per dataset, as `prepare` wrote them."""
    return {
        p.name.removesuffix(".labels.json"): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.labels.json"))
    }
