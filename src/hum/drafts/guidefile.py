"""Adding an entry to a guideline file as a person would: appended as text, every existing line left as it was."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import yaml

from hum.io import Record, atomic_open
from hum.review import leading_comments

WIDTH = 1_000_000  # never fold a YAML line
PLAIN = re.compile(r"[\w.:-]+")  # labels, names and dates stay unquoted in guideline files


class GuidelineDumper(yaml.SafeDumper):
    """Dumps entries as the human-written files read: texts in double quotes, names and dates plain."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if PLAIN.fullmatch(value) else '"')


GuidelineDumper.add_representer(str, _text)


def write_entry(path: Path, label: str, entry: Record, *, note: str, new_file: str, lang: str) -> None:
    """Add one label's entry to a guideline file, or create the file; the rewrite is atomic.

    The entry is appended as text, with `note` as a comment above it, so every line already in the file stays
    as it was; should that not parse to the intended data (`labels` is not the last block), the file is
    re-dumped whole, keeping its comment header. A new file starts with the comment header `new_file`.
    """
    if not path.exists():
        text = new_file + _dump({"lang": lang, "labels": {label: entry}})
    else:
        old = path.read_text(encoding="utf-8")
        tree = yaml.safe_load(old)
        want = {**tree, "labels": {**tree["labels"], label: entry}}
        text = old.rstrip("\n") + "\n" + textwrap.indent(f"# {note}\n{_dump({label: entry})}", " " * _entry_indent(old))
        if not _parses_to(text, want):
            text = leading_comments(old) + _dump(want)
    with atomic_open(path) as fh:
        fh.write(text)


def _dump(data: Record) -> str:
    return yaml.dump(data, Dumper=GuidelineDumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=WIDTH)


def _parses_to(text: str, want: Any) -> bool:
    try:
        return bool(yaml.safe_load(text) == want)
    except yaml.YAMLError:
        return False


def _entry_indent(text: str) -> int:
    """How far the file indents the entries under `labels:` (2 when it has none yet)."""
    found = re.search(r"^labels:[ \t]*\n(?:[ \t]*(?:#.*)?\n)*([ \t]+)\S", text, re.MULTILINE)
    return len(found.group(1)) if found else 2
