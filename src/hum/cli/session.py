"""The review walk: each pending proposal shown in turn and decided by a key; every decision is saved at once."""

from __future__ import annotations

import argparse
import os
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from hum.cli.editor import edit_in_editor
from hum.cli.terminal import Terminal
from hum.errors import HumInputError
from hum.io import Record
from hum.review import ReviewError, decide, load_decisions, load_proposals, parent_text, pending, proposed_text, text_problem

KEYS = "[a]ccept [e]dit [r]eject [s]kip [q]uit "
INTERRUPTED = 130

Adopter = Callable[[Record, Record], str]  # (accepted draft, its decision) -> what was written where


class Review:
    """One review session over the pending proposals; counts what happened for the closing summary."""

    def __init__(self, args: argparse.Namespace, term: Terminal, reviewer: str, adopter: Adopter | None = None) -> None:
        self.args, self.term, self.reviewer, self.adopter = args, term, reviewer, adopter
        self.counts: Counter[str] = Counter()

    def run(self, todo: list[Record]) -> int:
        """Walk the proposals until the end, [q]uit, Ctrl-C or end of input; the summary line comes last."""
        status = 0
        try:
            for pos, proposal in enumerate(todo, 1):
                if self.one(proposal, pos, len(todo)) == "quit":
                    break
        except KeyboardInterrupt:
            self.term.say("\ninterrupted: the decisions made so far are saved")
            status = INTERRUPTED
        except EOFError:
            self.term.say("\nend of input: the decisions made so far are saved")
        self.term.say(self.summary())
        return status

    def one(self, proposal: Record, pos: int, total: int) -> str:
        """Show one proposal and act on keys until it is decided, skipped or the user quits."""
        say, proposed = self.term.say, proposed_text(proposal)
        self.show(proposal, pos, total)
        while True:
            key, outcome = self.term.key(KEYS), None
            if key == "a":
                outcome = self.record(proposal, "accepted", proposed, None)
            elif key == "e":
                text = self.edit(proposal)
                outcome = None if text is None else self.record(proposal, "accepted", text, None)
            elif key == "r":
                reason = self.term.line("reason (required; empty goes back): ").strip()
                outcome = self.record(proposal, "rejected", proposed, reason) if reason else None
            elif key == "s":
                self.counts["skipped"] += 1
                outcome = "skipped"
            elif key == "q":
                outcome = "quit"
            else:
                say(f"press one of a, e, r, s, q (got {key!r})")
            if outcome:
                return outcome

    def show(self, proposal: Record, pos: int, total: int) -> None:
        """A description beside its human source; a guideline draft with its label, notes and evidence from the data."""
        say = self.term.say
        if proposal["kind"] != "guideline":
            say(f"\n[{pos}/{total}] {proposal['id']}  ({proposal['lang']} {proposal['task']}/{proposal['subtask']})")
            say(f"  human:    {parent_text(proposal)}")
            say(f"  proposal: {proposal['text']}")
            return
        say(f"\n[{pos}/{total}] {proposal['id']}  ({proposal['lang']} {proposal['task']}, dataset {proposal['dataset']})")
        say(f"  label:       {proposal['label']}")
        say(f"  definition:  {proposal['definition']}")
        for paraphrase in proposal["paraphrases"]:
            say(f"  paraphrase:  {paraphrase}")
        for note in ("include", "exclude"):
            if proposal.get(note):
                say(f"  {note}:     {proposal[note]}")
        say(f"  examples:    {'; '.join(proposal['examples']) or '(none in the data)'}")
        say(f"  not this:    {'; '.join(proposal['negatives']) or '(none in the data)'}")

    def edit(self, proposal: Record) -> str | None:
        """The edited text when it changed and keeps the placeholders; None sends the user back to the keys."""
        editor, proposed = os.environ.get("VISUAL") or os.environ.get("EDITOR"), proposed_text(proposal)
        try:
            text = edit_in_editor(editor, proposal, proposed) if editor else self.term.line("new text (empty keeps it): ").strip()
        except ReviewError as exc:
            self.term.say(str(exc))
            return None
        if not text or text == proposed:
            self.term.say("unchanged")
            return None
        if problem := text_problem(proposal, text):
            self.term.say(f"edit refused: {problem}")
            return None
        return text

    def record(self, proposal: Record, decision: str, text: str, reason: str | None) -> str:
        """Write the decision to the reviews file at once (an accepted guideline into its file first); the outcome."""
        written: list[str] = []

        def adopt_it(entry: Record) -> None:
            if self.adopter is not None:
                written.append(self.adopter(proposal, entry))

        try:
            decide(self.args.reviews, proposal, decision, text, reason, self.reviewer, datetime.now(UTC), on_accept=adopt_it)
        except ReviewError as exc:  # e.g. decided meanwhile by someone else
            self.term.say(f"not recorded: {exc}")
            return "not recorded"
        edited = decision == "accepted" and text != proposed_text(proposal)
        outcome = "edited" if edited else decision
        self.counts[decision] += 1
        self.counts["edited"] += edited
        self.term.say({"accepted": "accepted", "edited": f"accepted as edited: {text}", "rejected": "rejected"}[outcome])
        for line in written:
            self.term.say(line)
        return outcome

    def summary(self) -> str:
        """`reviewed N: A accepted (E edited), R rejected, S skipped, P pending` (P counted afresh from the files)."""
        c = self.counts
        try:
            left = len(pending(load_proposals(self.args.proposals), load_decisions(self.args.reviews), self.args.kind))
        except (ReviewError, HumInputError):
            left = -1
        reviewed = c["accepted"] + c["rejected"] + c["skipped"]
        return (
            f"reviewed {reviewed}: {c['accepted']} accepted ({c['edited']} edited), "
            f"{c['rejected']} rejected, {c['skipped']} skipped, {left} pending"
        )
