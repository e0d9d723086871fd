"""`hum publish FOLDER URL`: copy a built corpus to a bucket or a cluster's shared storage, its manifest last.

DVC keeps versioning `data/corpus`; a published copy is for the readers that cannot check it out (training jobs on a
cluster, a team bucket). See `hum.storage.publish` for the order of writes and when a destination is refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hum.errors import HumInputError
from hum.storage import PublishError, publish


def arguments(parser: argparse.ArgumentParser) -> None:
    """The corpus folder, the destination URL (`s3://bucket/hum/v1`, `gs://...`, `file:///...`, a local folder)."""
    parser.add_argument("folder", type=Path, help="a built corpus folder, e.g. data/corpus")
    parser.add_argument("url", help="where to copy it: any fsspec URL or a local folder")
    parser.add_argument("--overwrite", action="store_true", help="replace what the destination holds (another corpus)")


def run(args: argparse.Namespace) -> int:
    """Copy, then say what was written; a refused or failed copy is an error that names the folder or URL."""
    try:
        written = publish(args.folder, args.url, overwrite=args.overwrite)
    except (PublishError, HumInputError, OSError) as exc:
        print(f"hum publish: {exc}", file=sys.stderr)
        return 2
    done = f"{len(written)} files, manifest.json last" if written else "the same corpus is there already; nothing copied"
    print(f"hum publish: {args.folder} -> {args.url}: {done}")
    return 0
