"""`hum review`: decide on the pending proposals of one kind, one at a time, as a named reviewer."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hum.cli.options import GUIDELINES, MADE_BY, PARAMS, PREPARED, PROPOSALS, REVIEWS, path_option
from hum.cli.session import Adopter, Review
from hum.cli.terminal import Terminal, exit_on_termination
from hum.drafts import adopt
from hum.errors import HumInputError
from hum.io import Record
from hum.prepare import load_labelsets
from hum.provenance import load_params
from hum.review import ReviewError, load_decisions, load_proposals, pending


def arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `hum review`; paths are relative to the project root (the current directory)."""
    defaults = ", ".join(f"{path} for {kind}" for kind, path in PROPOSALS.items())
    parser.add_argument("--kind", choices=list(PROPOSALS), default="description", help="which kind of proposal to review")
    parser.add_argument("--proposals", type=Path, help=f"proposals to review (default: {defaults})")
    path_option(parser, "--reviews", REVIEWS, "decisions file, versioned")
    parser.add_argument("--reviewer", help="your name (default: git config user.name, else $USER)")
    path_option(parser, "--guidelines", GUIDELINES, "where accepted guidelines go")
    path_option(parser, "--prepared", PREPARED, "prepared label sets")
    path_option(parser, "--params", PARAMS, "parameters: guideline coverage")


def run(args: argparse.Namespace) -> int:
    """Walk the pending proposals one by one; every decision is saved at once."""
    term = Terminal()
    args.proposals = args.proposals or PROPOSALS[args.kind]
    try:
        todo = pending(load_proposals(args.proposals, MADE_BY[args.kind]), load_decisions(args.reviews), args.kind)
        adopter = guideline_adopter(args) if args.kind == "guideline" else None
    except (ReviewError, HumInputError, OSError, KeyError) as exc:
        print(f"hum review: {exc}", file=sys.stderr)
        return 1
    reviewer = args.reviewer or default_reviewer()
    if not reviewer:
        print("hum review: who is reviewing? pass --reviewer NAME (or set git config user.name)", file=sys.stderr)
        return 1
    session = Review(args, term, reviewer, adopter)
    if not todo:
        term.say(f"nothing to review: every {args.kind} proposal in {args.proposals} is decided")
        term.say(session.summary())
        return 0
    term.say(f"{len(todo)} {args.kind} proposals to review as {reviewer}; decisions go to {args.reviews} as you make them")
    with exit_on_termination():
        return session.run(todo)


def default_reviewer() -> str:
    """Who decides: `git config user.name`, else $USER ("" when neither is known)."""
    git = shutil.which("git")
    name = ""
    if git:
        try:
            done = subprocess.run([git, "config", "user.name"], capture_output=True, text=True, check=False, timeout=10)  # noqa: S603
            name = done.stdout.strip() if done.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            name = ""
    return name or os.environ.get("USER", "")


def guideline_adopter(args: argparse.Namespace) -> Adopter:
    """What an accepted guideline draft does besides its decision: it becomes an entry of a guideline file."""
    if not args.params.exists():
        raise ReviewError(f"{args.params}: missing; accepting a guideline reads generate.guidelines.min_coverage there")
    labelsets = load_labelsets(args.prepared)
    min_coverage = float(load_params(args.params)["generate"]["guidelines"]["min_coverage"])

    def write(draft: Record, decision: Record) -> str:
        labelset = labelsets.get(draft["dataset"])
        if labelset is None:
            raise ReviewError(f"no label set of {draft['dataset']} in {args.prepared}; run `dvc repro prepare` first")
        path, entry = adopt(draft, decision, args.guidelines, labelset, min_coverage)
        dropped = len(draft["paraphrases"]) - len(entry.get("paraphrases", []))
        left_out = f" ({dropped} paraphrases left out: they no longer say what the edit says)" if dropped else ""
        return f"guideline of {draft['label']} written to {path}{left_out}"

    return write
