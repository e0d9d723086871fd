"""Where `hum` finds and writes its files by default, relative to the project root (the current directory)."""

from __future__ import annotations

import argparse
from pathlib import Path

PROPOSALS = {"description": Path("data/pool/proposals.jsonl"), "guideline": Path("data/drafts/guidelines.jsonl")}
MADE_BY = {"description": "dvc repro paraphrase", "guideline": "hum guidelines draft"}  # what writes each kind's proposals
REVIEWS = Path("data/templates/reviews.yaml")
GUIDELINES, PREPARED, PARAMS = Path("data/guidelines"), Path("data/prepared"), Path("params.yaml")


def path_option(parser: argparse.ArgumentParser, flag: str, default: Path, what: str) -> None:
    """A path argument whose help says what it is and ends with its default."""
    parser.add_argument(flag, type=Path, default=default, help=f"{what} (default: {default})")
