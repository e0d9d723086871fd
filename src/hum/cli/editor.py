"""Editing a proposal's text in the user's own editor ($VISUAL or $EDITOR), with notes on what it must keep."""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from pathlib import Path

from hum.io import Record
from hum.review import ReviewError, parent_text, placeholders


def editor_notes(proposal: Record) -> list[str]:
    """Comment lines under the text in the editor: what the text is and what it must keep."""
    if proposal["kind"] == "guideline":
        return [
            "# Edit the definition above (one line). Lines starting with # are ignored; an empty text keeps it.",
            f"# Label: {proposal['label']} ({proposal['task']}, dataset {proposal['dataset']}, {proposal['lang']})",
            f"# Examples: {'; '.join(proposal['examples']) or 'none'}",
            f"# Not this label: {'; '.join(proposal['negatives']) or 'none'}",
        ]
    want = " ".join(sorted(placeholders(parent_text(proposal)).elements())) or "none"
    return [
        "# Edit the description above (one line). Lines starting with # are ignored; an empty text keeps it.",
        f"# Human description: {parent_text(proposal)}",
        f"# Placeholders to keep: {want}",
    ]


def edit_in_editor(editor: str, proposal: Record, text: str) -> str:
    """The text after the user's editor has been run on a temp file holding it; lines starting with # are dropped."""
    notes = editor_notes(proposal)
    with tempfile.TemporaryDirectory(prefix="hum-review-") as tmp:
        path = Path(tmp) / "description.txt"
        path.write_text("\n".join([text, "", *notes]) + "\n", encoding="utf-8")
        proc = subprocess.Popen([*shlex.split(editor), str(path)])  # noqa: S603  (the user's own editor)
        while True:
            try:
                status = proc.wait()
                break
            except KeyboardInterrupt:  # the editor got Ctrl-C too and handles it itself
                continue
        if status != 0:
            raise ReviewError(f"the editor exited with status {status}; nothing changed")
        lines = path.read_text(encoding="utf-8").splitlines()
    return " ".join(ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#"))
