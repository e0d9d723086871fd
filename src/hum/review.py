"""Human review of LLM proposals: the decisions file and its rules, with no terminal I/O (the CLI does that).

Decisions live in versioned YAML (`data/templates/reviews.yaml`), rewritten atomically after every decision,
so a review interrupted by Ctrl-C or a kill keeps everything decided so far and the file always parses.
Two kinds of proposal are reviewed: task descriptions (`text`, from the paraphrase stage) and guideline
drafts (`definition`, from `hum guidelines draft`); each kind records the fields that place it.
"""

from __future__ import annotations

import fcntl
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from hum.errors import HumInputError
from hum.io import Record, atomic_open, read_jsonl
from hum.paraphrase import PLACEHOLDER

DECISIONS = ("accepted", "rejected")
FIELDS = ("id", "kind", "lang", "task", "subtask", "parent", "proposed", "text", "decision", "reason", "reviewer", "at")
GUIDELINE_FIELDS = ("id", "kind", "lang", "task", "dataset", "label", "proposed", "text", "decision", "reason", "reviewer", "at")
KIND_FIELDS = {"description": FIELDS, "guideline": GUIDELINE_FIELDS}  # what a decision of each kind records, in order
PROPOSED = {"description": "text", "guideline": "definition"}  # the proposal field a reviewer accepts, edits or rejects
HEADER = """\
# Human review of LLM-proposed task descriptions (data/pool/proposals.jsonl), written by `hum review`.
# Generation uses only accepted items by default (generate.unreviewed: false); a decided id is never shown again.
# One entry per decision, in decision order: id (parent~sha256(text)[:10], stable across rebuilds), kind, lang,
# task, subtask, parent, proposed (the LLM text), text (the final text, edited or not), decision (accepted or
# rejected), reason (rejects only, else null), reviewer and at (UTC). Hand edits: keep ids unique and keep
# every placeholder ({labels}, ...) of the parent description.
# Guideline drafts (kind guideline, data/drafts/guidelines.jsonl) record dataset and label instead of subtask
# and parent; text is the final definition, which an acceptance also writes into a file of data/guidelines/.
"""


class ReviewError(ValueError):
    """A decision that cannot be recorded as asked (bad edit, missing reason, already decided)."""


def load_proposals(path: Path, made_by: str = "dvc repro paraphrase") -> list[Record]:
    """Proposals in file order; `made_by` is the command that writes them, named when there are none yet."""
    if not path.exists():
        raise ReviewError(f"{path}: no proposals yet; run `{made_by}` first")
    return list(read_jsonl(path))


def load_decisions(path: Path) -> list[Record]:
    """Decisions in the order they were made; a missing file means none yet. Hand edits are checked."""
    if not path.exists():
        return []
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(tree, dict) or not isinstance(tree.get("decisions"), list):
        raise HumInputError(path, "top level", "decisions", "expected a mapping with a `decisions` list")
    decisions: list[Record] = tree["decisions"]
    seen: set[str] = set()
    for i, d in enumerate(decisions):
        _check_decision(path, i, d, seen)
    return decisions


def _check_decision(path: Path, i: int, d: Any, seen: set[str]) -> None:
    where = f"decision {i}"
    if not isinstance(d, dict):
        raise HumInputError(path, where, "<entry>", "expected a mapping")
    for field in _fields(path, where, d):
        if field not in d:
            raise HumInputError(path, where, field, "missing")
        if field != "reason" and not isinstance(d[field], str):
            raise HumInputError(path, where, field, f"expected text, got {d[field]!r}")
    if d["decision"] not in DECISIONS:
        raise HumInputError(path, where, "decision", f"{d['decision']!r} is not one of {', '.join(DECISIONS)}")
    if d["decision"] == "rejected" and not (isinstance(d["reason"], str) and d["reason"].strip()):
        raise HumInputError(path, where, "reason", "a rejection needs a reason")
    if d["id"] in seen:
        raise HumInputError(path, where, "id", f"{d['id']} is decided twice")
    seen.add(d["id"])


def _fields(path: Path, where: str, d: Record) -> tuple[str, ...]:
    """The fields a decision of its kind must have; a missing or unknown kind is an error."""
    for field in ("id", "kind"):
        if field not in d:
            raise HumInputError(path, where, field, "missing")
    if not isinstance(d["kind"], str) or d["kind"] not in KIND_FIELDS:
        raise HumInputError(path, where, "kind", f"{d['kind']!r} is not one of {', '.join(KIND_FIELDS)}")
    return KIND_FIELDS[d["kind"]]


def pending(proposals: list[Record], decisions: list[Record], kind: str | None = None) -> list[Record]:
    """Proposals that have no decision yet (of `kind`, when given), in id order, each once.

    A proposal whose status is no longer `proposed` (a guideline draft superseded by a redraft) waits for no one.
    """
    decided = {d["id"] for d in decisions}
    todo = {
        p["id"]: p
        for p in proposals
        if p["id"] not in decided and kind in {None, p["kind"]} and p.get("status", "proposed") == "proposed"
    }
    return [todo[k] for k in sorted(todo)]


def proposed_text(proposal: Record) -> str:
    """The text a reviewer decides on: a description's text, a guideline draft's definition."""
    return str(proposal[PROPOSED[proposal["kind"]]])


def parent_text(proposal: Record) -> str:
    """The human description a proposal paraphrases (its own text for records that lack it: same placeholders)."""
    return str(proposal.get("parent_text") or proposal["text"])


def placeholders(text: str) -> Counter[str]:
    """The multiset of `{name}` slots that generation fills with str.format."""
    return Counter(PLACEHOLDER.findall(text))


def text_problem(proposal: Record, text: str) -> str | None:
    """Why `text` cannot stand for `proposal`, or None; generation formats descriptions, so their slots must match.

    A definition is stated as it is (it fills a slot, it has none), so it only has to be one non-empty line.
    """
    if not text.strip():
        return "the text is empty"
    if "\n" in text.strip():
        return f"a {'definition' if proposal['kind'] == 'guideline' else 'description'} is a single line"
    if proposal["kind"] == "guideline":
        return None
    want, got = placeholders(parent_text(proposal)), placeholders(text)
    rest = PLACEHOLDER.sub("", text)
    if want != got:
        return f"the text must keep the placeholders of its human description exactly: {_names(want)} (it has {_names(got)})"
    if "{" in rest or "}" in rest:
        return "stray brace: only placeholders such as {labels} may use curly braces"
    return None


def _names(slots: Counter[str]) -> str:
    return " ".join(sorted(slots.elements())) or "none"


def decide(  # noqa: PLR0917  (the review API takes the decision's fields positionally, in file order)
    path: Path,
    proposal: Record,
    decision: str,
    text: str,
    reason: str | None,
    reviewer: str,
    now: datetime,
    *,
    on_accept: Callable[[Record], None] | None = None,
) -> Record:
    """Append one decision to the reviews file, rewriting it atomically; returns the entry written.

    `on_accept` gets an acceptance's entry under the same lock, before the entry is written: what it raises
    (a ReviewError) leaves the decision unrecorded, so an accepted guideline is in its file whenever its
    decision is in the reviews file.
    """
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if decision == "rejected" and not (reason and reason.strip()):
        raise ReviewError("a rejection needs a reason")
    if not reviewer.strip():
        raise ReviewError("a decision needs a reviewer")
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware, so that `at` is a true UTC time")
    text = text.strip()
    if decision == "accepted" and (problem := text_problem(proposal, text)):
        raise ReviewError(f"edit refused: {problem}")
    fields = KIND_FIELDS[proposal["kind"]]
    entry = {field: proposal[field] for field in fields[: fields.index("proposed")]}
    entry |= {
        "proposed": proposed_text(proposal),
        "text": text,
        "decision": decision,
        "reason": reason.strip() if decision == "rejected" and reason else None,
        "reviewer": reviewer.strip(),
        "at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    with _locked(path.parent):  # two reviewers at once: each appends to what the other wrote
        decisions = load_decisions(path)
        if any(d["id"] == entry["id"] for d in decisions):
            raise ReviewError(f"{entry['id']} was already decided")
        if on_accept is not None and decision == "accepted":
            on_accept(entry)
        write_decisions(path, [*decisions, entry])
    return entry


def write_decisions(path: Path, decisions: list[Record]) -> None:
    """Rewrite the whole file (temp file beside it, fsync, rename), keeping its comment header."""
    header = leading_comments(path.read_text(encoding="utf-8")) if path.exists() else HEADER
    body = yaml.safe_dump({"decisions": decisions}, sort_keys=False, allow_unicode=True, width=1_000_000)
    with atomic_open(path) as fh:
        fh.write(header + body)
    dirfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dirfd)  # the rename itself survives a power cut
    finally:
        os.close(dirfd)


def leading_comments(text: str) -> str:
    """The comment (and blank) lines a YAML text opens with: what a re-dump of its data would lose."""
    head = []
    for line in text.splitlines(keepends=True):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        head.append(line)
    return "".join(head)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
