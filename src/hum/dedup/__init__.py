"""Dedup: exact copies, near-duplicate instructions over one input or near-copy inputs, and answer conflicts.

One module per concept: `keys` (the parts of a record and their hashes), `minhash` and `lsh` (near-copy
inputs), `similar` (rapidfuzz verification at a bounded cost per pair), `sources` (re-readable inputs), `scan`,
`plan` and `near` (the passes; `cluster` the comparisons inside one input cluster), `conflicts` (policies and
merging), `work` (the per-record work, run on a runner's workers), `engine` (the step) and `stage` (the stage's files).
"""

from __future__ import annotations

from hum.dedup.engine import Dedup
from hum.dedup.keys import Parts, normalised
from hum.dedup.sources import FileSource, ListSource
from hum.dedup.stage import run_dedup

__all__ = ["Dedup", "FileSource", "ListSource", "Parts", "normalised", "run_dedup"]
