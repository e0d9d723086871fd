"""Accepted label guidelines: human-edited YAML under version control, one file per label set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HEADINGS = {"en": ("Definition: ", " Examples: ", "; "), "zh": ("定义：", "示例：", "；")}


def load_guidelines(folder: str | Path) -> dict[str, dict[str, Any]]:
    """Map label-set name -> {lang, labels: {label: {definition, examples}}} for every `*.yaml` in `folder`."""
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.yaml"))}


def render_guidelines(entries: dict[str, dict[str, Any]], labels: list[str], lang: str) -> tuple[str, list[str]]:
    """Guideline block for the labels that have an entry, and the ids of those entries."""
    definition, examples, sep = HEADINGS[lang]
    lines, used = [], []
    for label in labels:
        entry = entries.get(label)
        if entry is None:
            continue
        used.append(label)
        line = f"- {label}: {definition}{entry['definition']}"
        if entry.get("examples"):
            line += examples + sep.join(entry["examples"])
        lines.append(line)
    return "\n".join(lines), used
