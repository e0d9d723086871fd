"""`hum eval`: score any model on the held-out splits, outside DVC, with the same prompts and metrics as `evaluate`.

The config is composed from conf/ with `-S` overrides as `dvc exp run -S` takes them, e.g. another GGUF file
(`-S 'model@evaluate.model=gguf' -S evaluate.model.path=models/x.gguf`) or a server (`model@evaluate.model=openai`).
Replies are recorded under `--out`, so asking again costs nothing.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from hum.cli.options import GUIDELINES, PREPARED, path_option

TEMPLATES = Path("data/templates")


def arguments(parser: argparse.ArgumentParser) -> None:
    """Overrides, the prompt style, a limit and where results go."""
    parser.add_argument("-S", "--set-param", dest="overrides", action="append", default=[], metavar="OVERRIDE",
                        help="a Hydra override, as in `dvc exp run -S` (repeatable)")  # fmt: skip
    parser.add_argument("--style", choices=["basic", "format", "compound"], help="prompt style (default: evaluate.style)")
    parser.add_argument("--limit", type=int, metavar="N", help="held-out records per dataset (default: evaluate.limit)")
    path_option(parser, "--prepared", PREPARED, "prepared data with the held-out splits (from `dvc repro prepare`)")
    path_option(parser, "--out", Path("runs/eval"), "predictions, metrics and recorded replies")
    path_option(parser, "--conf", Path("conf"), "Hydra config folder")


def composed(conf: Path, overrides: list[str]) -> dict[str, Any]:
    """The checked params of conf/ with the overrides, as `dvc exp run -S` would compose them."""
    from dvc.utils.hydra import compose_and_dump  # noqa: PLC0415 - DVC loads only for this command

    from hum.provenance import load_params  # noqa: PLC0415 - keeps `hum --help` fast

    with tempfile.TemporaryDirectory() as tmp:
        compose_and_dump(Path(tmp) / "params.yaml", str(conf.resolve()), None, "config", str(Path.cwd()), overrides)
        return load_params(Path(tmp) / "params.yaml")


def table(report: dict[str, Any]) -> str:
    """Records, unreadable replies and the headline score per dataset and task (`hum.evaluation.report.HEADLINE`)."""
    from hum.evaluation.report import HEADLINE  # noqa: PLC0415 - the model stack loads only for this command

    def score(key: str) -> str:
        if f"{key}/score" in report:
            return f"{report[f'{key}/score']:.3f}"
        found = [report[f"{key}/{m}"] for m in HEADLINE.get(key.partition("/")[0], ()) if f"{key}/{m}" in report]
        return f"{sum(found) / len(found):.3f}" if found else ""

    keys = sorted(k.removesuffix("/records") for k in report if k.endswith("/records"))
    rows = [("task/dataset", "records", "unread", "score")]
    rows += [(k, f"{report[f'{k}/records']:.0f}", f"{report[f'{k}/unparsable']:.0f}", score(k)) for k in keys]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:>7}  {c:>6}  {d:>6}" for a, b, c, d in rows)


def run(args: argparse.Namespace) -> int:
    """Compose, ask, score; write `predictions.jsonl` and `metrics.json` into `--out` and print the table."""
    from hum.evaluation.run import evaluate, summary_line  # noqa: PLC0415 - the model stack loads only here
    from hum.io import write_json, write_jsonl  # noqa: PLC0415
    from hum.llm.replies import finish, recording  # noqa: PLC0415

    params = composed(args.conf, args.overrides)
    cfg = {**params["evaluate"], **{k: v for k, v in (("style", args.style), ("limit", args.limit)) if v is not None}}
    used = {"seed": params["seed"], "generate": params["generate"], "evaluate": cfg}
    chat = recording(cfg["model"], "evaluate", used, folder=args.out / "replies", journals=args.out / "journals")
    predictions, report = evaluate(args.prepared, TEMPLATES, GUIDELINES, used, chat)
    write_jsonl(args.out / "predictions.jsonl", predictions)
    write_json(args.out / "metrics.json", report)
    finish(chat, "evaluate", calls=args.out / "calls")
    print(table(report))
    print(summary_line(report))
    return 0
