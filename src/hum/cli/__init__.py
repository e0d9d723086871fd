"""The `hum` command: the user-facing tools of the pipeline (review, guideline drafts, runs outside DVC, stats, publishing).

Each subcommand is one entry of COMMANDS: a name, a help line, a function that adds its arguments and
a function that runs it and returns the exit status; each lives in a module of its own.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from hum.cli import clean, guidelines, publish, review, run, scoring, stats


@dataclass(frozen=True)
class Command:
    """One subcommand: `configure` adds its arguments, `run` does the work and returns the exit status."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: tuple[Command, ...] = (
    Command("review", "review LLM proposals: accept, edit, reject or skip each one", review.arguments, review.run),
    Command(
        "guidelines", "LLM-drafted label guidelines, for review: `hum guidelines draft`", guidelines.arguments, guidelines.run
    ),
    Command("run", "run stages outside DVC with Hydra overrides (-S); -m sweeps, one folder per job", run.arguments, run.run),
    Command("eval", "score a model on the held-out splits (per-task metrics), outside DVC", scoring.arguments, scoring.run),
    Command("stats", "records of a corpus folder per split, task, format, language and dataset", stats.arguments, stats.run),
    Command("clean", "remove the temporaries that killed runs left in data/ and metrics/", clean.arguments, clean.run),
    Command("publish", "copy a built corpus to a bucket or shared folder, manifest last", publish.arguments, publish.run),
)


def parser() -> argparse.ArgumentParser:
    """`hum` and one subparser per entry of COMMANDS."""
    top = argparse.ArgumentParser(prog="hum", description="The hum corpus pipeline: review, drafting, runs and stats.")
    subs = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = subs.add_parser(command.name, help=command.help, description=command.help)
        command.configure(sub)
        sub.set_defaults(run=command.run)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hum` console script; returns the exit status."""
    args = parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)
