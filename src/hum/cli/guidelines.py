"""`hum guidelines draft`: the configured LLM drafts guidelines for labels that lack one, for `hum review`."""

from __future__ import annotations

import argparse
import sys

from hum.cli.options import GUIDELINES, PARAMS, PREPARED, PROPOSALS, REVIEWS, path_option
from hum.drafts import DraftError, draft_guidelines
from hum.errors import HumInputError
from hum.llm.replies import REPLIES, finish, recording
from hum.provenance import load_params

DRAFT_HELP = "the LLM drafts guidelines for labels that lack one; checked drafts await `hum review --kind guideline`"


def positive(text: str) -> int:
    """An argument that must be a whole number above zero."""
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")
    return int(text)


def arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `hum guidelines ACTION`; `draft` is the one action so far."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    draft = actions.add_parser("draft", help=DRAFT_HELP, description=DRAFT_HELP)
    path_option(draft, "--prepared", PREPARED, "prepared data and label sets")
    path_option(draft, "--guidelines", GUIDELINES, "guideline files")
    path_option(draft, "--out", PROPOSALS["guideline"], "drafts, rewritten atomically")
    path_option(draft, "--params", PARAMS, "model, seed and guideline coverage")
    path_option(draft, "--reviews", REVIEWS, "decisions, to know which drafts pend")
    path_option(draft, "--replies", REPLIES, "recorded LLM replies (replayed, so a redraft on any machine gives the same text)")
    draft.add_argument("--dataset", nargs="+", action="extend", metavar="NAME", help="only these datasets (default: all)")
    draft.add_argument("--limit", type=positive, metavar="N", help="draft at most N labels in this run")
    draft.add_argument("--redo", action="store_true", help="draft labels again whose draft is pending review")


def run(args: argparse.Namespace) -> int:
    """`hum guidelines draft`: draft with the configured model; print progress per label and a summary line."""
    params = load_params(args.params)
    chat = recording(params["model"], "drafts", {"seed": params["seed"], "labels": args.dataset}, folder=args.replies)
    try:
        summary = draft_guidelines(
            lambda: chat,
            prepared=args.prepared,
            guidelines=args.guidelines,
            out=args.out,
            reviews=args.reviews,
            params=params,
            datasets=args.dataset,
            limit=args.limit,
            redo=args.redo,
        )
    except (DraftError, HumInputError) as exc:
        print(f"hum guidelines {args.action}: {exc}", file=sys.stderr)
        return 1
    finish(chat, "drafts", prune=False)  # every call of a run goes through the recorded replies, kept across runs
    print(summary)
    return 0
