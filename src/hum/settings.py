"""The schema of params.yaml, checked before any stage works: a typo in a config must stop the run, not change it.

Every present key is checked (type, range, enum, registry names) and unknown keys are refused; a missing key is
left to the stage that reads it, since tools such as `hum review` write partial params. `model` contents are
checked by `hum.llm.config.check_model`; `generate.layouts` names are checked against the layouts file only
when it exists beside the params file (`data/templates/layouts.yaml`), since layouts are data, not code.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from hum.export import EXPORTS
from hum.formats import FORMATS
from hum.llm.config import ModelConfigError, check_model
from hum.loaders import FILE_LOADERS, FOLDER_LOADERS, SPLIT_LOADERS
from hum.rules import RULES
from hum.runners import RUNNERS
from hum.tasks import TASKS

Check = Callable[[Any, str, list[str]], None]  # (value, key path, problems to append to)
LAYOUTS = Path("data/templates/layouts.yaml")


class ConfigError(ValueError):
    """A params file that breaks the schema; the message lists every problem, each with its key path."""


def _hint(value: Any, allowed: Collection[str]) -> str:
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def num(
    lo: float | None = None, hi: float | None = None, *, integer: bool = False, null: bool = False, below: bool = False
) -> Check:
    """A number in [lo, hi] (or [lo, hi) with `below`); bools are refused, as YAML `yes` is no count."""

    def check(v: Any, at: str, out: list[str]) -> None:
        if v is None and null:
            return
        kinds = (int,) if integer else (int, float)
        if isinstance(v, bool) or not isinstance(v, kinds):
            out.append(f"{at}: {v!r} is not {'an integer' if integer else 'a number'}{' or null' if null else ''}")
        elif (lo is not None and v < lo) or (hi is not None and (v >= hi if below else v > hi)):
            closing = ")" if below or hi is None else "]"
            out.append(f"{at}: {v!r} is out of range {'[' if lo is not None else '('}{lo}, {hi}{closing}")

    return check


SHARE, PERCENT = num(0, 1), num(0, 100)
COUNT, POSITIVE, NONNEG = num(0, integer=True), num(1, integer=True), num(0)


def one_of(allowed: Collection[str], *, null: bool = False) -> Check:
    """One name of a closed set; a near miss gets a "did you mean" hint."""

    def check(v: Any, at: str, out: list[str]) -> None:
        if not (v is None and null) and (not isinstance(v, str) or v not in allowed):
            out.append(f"{at}: {v!r} is not one of {sorted(allowed)}{_hint(v, allowed)}")

    return check


def of_type(kind: type | tuple[type, ...], *, null: bool = False) -> Check:
    """A plain value of the given type(s)."""

    def check(v: Any, at: str, out: list[str]) -> None:
        if not (v is None and null) and not isinstance(v, kind):
            out.append(f"{at}: {v!r} is not {getattr(kind, '__name__', kind)}{' or null' if null else ''}")

    return check


def list_of(item: Check, *, nonempty: bool = False, null: bool = False) -> Check:
    """A list whose every item passes `item`; `nonempty` where a stage draws from it (an empty draw is an IndexError)."""

    def check(v: Any, at: str, out: list[str]) -> None:
        if v is None and null:
            return
        if not isinstance(v, list):
            out.append(f"{at}: {v!r} is not a list")
        elif nonempty and not v:
            out.append(f"{at}: must not be empty")
        else:
            for i, x in enumerate(v):
                item(x, f"{at}[{i}]", out)

    return check


def mapping(keys: Collection[str] | None, value: Check) -> Check:
    """A mapping with keys from `keys` (any key when None), each value passing `value`."""

    def check(v: Any, at: str, out: list[str]) -> None:
        if not isinstance(v, Mapping):
            out.append(f"{at}: {v!r} is not a mapping")
            return
        for k, x in v.items():
            if keys is not None and k not in keys:
                out.append(f"{at}.{k}: unknown key; known: {sorted(keys)}{_hint(k, keys)}")
            else:
                value(x, f"{at}.{k}", out)

    return check


def section(fields: Mapping[str, Check | Mapping[str, Any]]) -> Check:
    """A mapping with exactly these optional keys; nested mappings of checks are sections too."""
    checks = {k: f if callable(f) else section(f) for k, f in fields.items()}

    def check(v: Any, at: str, out: list[str]) -> None:
        if not isinstance(v, Mapping):
            out.append(f"{at or 'the file'}: {v!r} is not a mapping")
            return
        for k, x in v.items():
            where = f"{at}.{k}" if at else str(k)
            if k in checks:
                checks[k](x, where, out)
            else:
                out.append(f"{where}: unknown key; known: {sorted(checks)}{_hint(k, checks)}")

    return check


def subtasks(v: Any, at: str, out: list[str]) -> None:
    """`generate.subtasks`: per task, a non-empty list of that task's own sub-tasks."""
    if not isinstance(v, Mapping):
        out.append(f"{at}: {v!r} is not a mapping")
        return
    for task, names in v.items():
        if task not in TASKS:
            out.append(f"{at}.{task}: unknown task; known: {sorted(TASKS)}{_hint(task, TASKS)}")
        else:
            list_of(one_of(TASKS[task].subtasks), nonempty=True)(names, f"{at}.{task}", out)


def paths(*, null: bool = False) -> Check:
    """A split's file or split name, or (for folder loaders) a non-empty list of files and folders."""

    def check(v: Any, at: str, out: list[str]) -> None:
        listed = isinstance(v, list) and v and all(isinstance(p, str) for p in v)
        if not (v is None and null) and not isinstance(v, str) and not listed:
            out.append(f"{at}: {v!r} is not a path or a non-empty list of paths{' or null' if null else ''}")

    return check


# The schema, kept as a table:
# fmt: off
CORPUS_TASKS = [*TASKS, "generalist"]  # the tasks a mixed corpus holds; general data has its own share
TEXT, LABELS = of_type(str), list_of(of_type(str))
DATASET = section(
    {
        "name": TEXT, "task": one_of([*TASKS, "general", "generalist"]), "lang": TEXT,
        "loader": one_of([*FILE_LOADERS, *FOLDER_LOADERS, *SPLIT_LOADERS]), "train": paths(), "eval": paths(null=True),
        "path": TEXT, "config_name": of_type(str, null=True), "revision": of_type(str, null=True),  # split loaders
        "options": of_type(dict, null=True), "columns": mapping(None, TEXT), "constants": of_type(dict),  # loader/normaliser
        "token_sep": TEXT,
        "no_relation": LABELS, "labels": LABELS, "multi_label": of_type(bool), "license": TEXT,
    }
)
BENCHMARK = section({"path": TEXT, "field": TEXT, "name": TEXT})
SCHEMA = section(
    {
        "seed": COUNT,
        "ablation": TEXT,
        "prepare": {
            "max_records": POSITIVE, "eval_fraction": SHARE, "on_error": one_of(["raise", "quarantine"]),
            "max_text_chars": POSITIVE, "mrc_window": num(100, integer=True, null=True),
        },
        "paraphrase": {
            "per_subtask": COUNT, "attempts": POSITIVE, "temperature": NONNEG, "max_tokens": POSITIVE,
            "min_length_ratio": NONNEG, "max_length_ratio": NONNEG, "max_similarity": PERCENT, "min_overlap": PERCENT,
            "min_distinct_words": SHARE,
        },
        "generate": {
            "per_record": POSITIVE, "compound_ratio": SHARE, "p_rules": SHARE, "p_format": SHARE, "max_rules": COUNT,
            "basic_format": one_of(FORMATS), "instruction_lang": of_type(str, null=True), "unreviewed": of_type(bool),
            "formats": list_of(one_of(FORMATS), nonempty=True), "rules": list_of(one_of(RULES)),
            "layouts": list_of(TEXT, nonempty=True),
            "guidelines": {"p_instruction": SHARE, "label_dropout": SHARE, "p_examples": SHARE, "min_coverage": SHARE},
            "empty": {"target": num(0, 1, null=True), "mrc_negatives": of_type(bool)},
            "p_hard_negative": SHARE, "p_request": SHARE, "subtasks": subtasks,
        },
        "generalist": {
            "per_dataset": COUNT, "kinds": list_of(one_of(["span_question", "free_form"]), nonempty=True),
            "attempts": POSITIVE, "temperature": NONNEG, "max_tokens": POSITIVE, "min_text_chars": COUNT,
            "max_text_chars": POSITIVE, "min_answer_chars": COUNT, "min_shared_words": COUNT, "min_request_chars": COUNT,
            "max_request_chars": POSITIVE, "max_answer_share": SHARE, "min_grounding": PERCENT, "max_similarity": PERCENT,
            "round_trip": of_type(bool), "round_trip_slack": NONNEG,
        },
        "runner": {
            "kind": one_of(RUNNERS), "address": of_type(str, null=True), "actors": num(1, integer=True, null=True),
            "llm_actors": POSITIVE, "llm_cpus": num(0, null=True), "runtime_env": of_type(dict, null=True),
        },
        "dedup": {
            "threshold": PERCENT, "input_threshold": PERCENT, "shingle": POSITIVE, "num_perm": POSITIVE, "bands": POSITIVE,
            "rows": POSITIVE, "conflicts": one_of(["drop_both", "keep_first", "merge"]), "memory_mb": COUNT,
        },
        "decontaminate": {
            "n": POSITIVE, "n_cjk": POSITIVE, "min_matches": POSITIVE, "min_share": SHARE, "min_contained": COUNT,
            "min_contained_cjk": COUNT, "benchmarks": list_of(BENCHMARK, null=True),
        },
        "validate": {
            "max_user_chars": POSITIVE, "max_answer_chars": POSITIVE, "max_user_tokens": POSITIVE,
            "max_answer_tokens": POSITIVE, "max_reject_rate": SHARE,
        },
        "mix": {
            "general_share": SHARE, "validation_share": num(0, 1, below=True),
            "caps": {"dataset": num(0, integer=True, null=True), "task": mapping(CORPUS_TASKS, num(0, integer=True, null=True))},
            "exports": list_of(one_of(EXPORTS), null=True), "ratios": mapping(CORPUS_TASKS, SHARE),
        },
        "evaluate": {
            "style": one_of(["basic", "format", "compound"]), "limit": num(1, integer=True, null=True), "max_tokens": POSITIVE,
            "temperature": NONNEG, "model": of_type(dict),
        },
        "datasets": mapping(None, DATASET),
        "model": of_type(dict),  # its contents: hum.llm.config.check_model, below
    }
)
# fmt: on


def _cross(params: Mapping[str, Any], root: Path, out: list[str]) -> None:
    """Checks across sections: the model, layout names, dataset tasks in generate.subtasks, MinHash bands."""
    evaluate = params.get("evaluate")
    for model in (params.get("model"), evaluate.get("model") if isinstance(evaluate, Mapping) else None):
        if isinstance(model, dict):
            try:
                check_model(model)
            except ModelConfigError as exc:
                out.append(str(exc))
    generate = params.get("generate")
    generate = generate if isinstance(generate, Mapping) else {}
    if isinstance(layouts := generate.get("layouts"), list) and (root / LAYOUTS).is_file():
        known = list((yaml.safe_load((root / LAYOUTS).read_text(encoding="utf-8")) or {}).get("layouts") or {})
        for i, name in enumerate(layouts):
            one_of(known)(name, f"generate.layouts[{i}]", out)
    datasets, chosen = params.get("datasets"), generate.get("subtasks")
    if isinstance(datasets, Mapping) and isinstance(chosen, Mapping):
        for name, cfg in datasets.items():
            task = cfg.get("task") if isinstance(cfg, Mapping) else None
            if task in TASKS and task not in chosen:
                some = list(TASKS[task].subtasks)
                out.append(f"generate.subtasks: task {task!r} of dataset {name!r} is missing; give it some of {some}")
    dedup = params.get("dedup")
    sizes = ("num_perm", "bands", "rows")
    if (
        isinstance(dedup, Mapping)
        and all(isinstance(dedup.get(k), int) for k in sizes)
        and dedup["num_perm"] != dedup["bands"] * dedup["rows"]
    ):
        out.append(f"dedup.num_perm: {dedup['num_perm']} must equal bands * rows = {dedup['bands'] * dedup['rows']}")


def check_params(params: Any, path: str | Path = "params.yaml") -> None:
    """Raise one ConfigError listing every problem of `params` (read from `path`), or return quietly."""
    problems: list[str] = []
    SCHEMA(params, "", problems)
    if isinstance(params, Mapping):
        _cross(params, Path(path).parent, problems)
    if problems:
        raise ConfigError(f"{path}: {len(problems)} config problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
