"""The `hum` command: small interactive tools for the human side of the pipeline (review, later guidelines).

Each subcommand is one entry of COMMANDS: a name, a help line, a function that adds its arguments and
a function that runs it and returns the exit status.
"""

from __future__ import annotations

import argparse
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import tty
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TextIO

from hum.errors import HumInputError
from hum.io import Record
from hum.review import ReviewError, decide, load_decisions, load_proposals, parent_text, pending, placeholders, text_problem

PROPOSALS = Path("data/pool/proposals.jsonl")
REVIEWS = Path("data/templates/reviews.yaml")
KEYS = "[a]ccept [e]dit [r]eject [s]kip [q]uit "
INTERRUPTED = 130


@dataclass(frozen=True)
class Command:
    """One subcommand: `configure` adds its arguments, `run` does the work and returns the exit status."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


class Terminal:
    """Keys and lines from the user: one raw key at a time on a TTY, whole lines otherwise (pipes, scripts)."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.stdin, self.stdout = stdin or sys.stdin, stdout or sys.stdout

    def say(self, text: str = "") -> None:
        """Print a line now (the user is waiting for it)."""
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def key(self, prompt: str) -> str:
        """One keystroke, lower-cased; "" for keys that are not characters (arrows, ...)."""
        if not self.stdin.isatty():
            return self.line(prompt).strip()[:1].lower()
        char = self._raw_key(prompt)
        self.say(char)
        return char.lower()

    def line(self, prompt: str) -> str:
        """One line of input without its newline; EOFError at end of input."""
        self.stdout.write(prompt)
        self.stdout.flush()
        text = self.stdin.readline()
        if not text:
            raise EOFError
        return text.rstrip("\r\n")

    def _raw_key(self, prompt: str) -> str:
        fd = self.stdin.fileno()
        old = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)  # no line buffering, no echo; Ctrl-C still raises KeyboardInterrupt (ISIG stays on)
            self.stdout.write(prompt)  # only now: a key pressed on seeing the prompt is read raw, never echoed twice
            self.stdout.flush()
            data = os.read(fd, 1)
            if data and not (data.isascii() and data.decode().isprintable()):
                while select.select([fd], [], [], 0.05)[0]:  # rest of an escape sequence or a multibyte character
                    os.read(fd, 64)
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)
        if data in {b"", b"\x04"}:  # end of input, Ctrl-D
            raise EOFError
        if data == b"\x03":
            raise KeyboardInterrupt
        return data.decode() if data.isascii() and data.decode().isprintable() else ""


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


def edit_in_editor(editor: str, proposal: Record, text: str) -> str:
    """The text after the user's editor has been run on a temp file holding it; lines starting with # are dropped."""
    want = " ".join(sorted(placeholders(parent_text(proposal)).elements())) or "none"
    notes = [
        "# Edit the description above (one line). Lines starting with # are ignored; an empty text keeps it.",
        f"# Human description: {parent_text(proposal)}",
        f"# Placeholders to keep: {want}",
    ]
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


@contextmanager
def _exit_on_termination() -> Iterator[None]:
    """SIGTERM/SIGHUP unwind like Ctrl-C does, so the terminal is restored (decisions are saved as made)."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


class Review:
    """One review session over the pending proposals; counts what happened for the closing summary."""

    def __init__(self, args: argparse.Namespace, term: Terminal, reviewer: str) -> None:
        self.args, self.term, self.reviewer = args, term, reviewer
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
        say = self.term.say
        say(f"\n[{pos}/{total}] {proposal['id']}  ({proposal['lang']} {proposal['task']}/{proposal['subtask']})")
        say(f"  human:    {parent_text(proposal)}")
        say(f"  proposal: {proposal['text']}")
        while True:
            key, outcome = self.term.key(KEYS), None
            if key == "a":
                outcome = self.record(proposal, "accepted", proposal["text"], None)
            elif key == "e":
                text = self.edit(proposal)
                outcome = None if text is None else self.record(proposal, "accepted", text, None)
            elif key == "r":
                reason = self.term.line("reason (required; empty goes back): ").strip()
                outcome = self.record(proposal, "rejected", proposal["text"], reason) if reason else None
            elif key == "s":
                self.counts["skipped"] += 1
                outcome = "skipped"
            elif key == "q":
                outcome = "quit"
            else:
                say(f"press one of a, e, r, s, q (got {key!r})")
            if outcome:
                return outcome

    def edit(self, proposal: Record) -> str | None:
        """The edited text when it changed and keeps the placeholders; None sends the user back to the keys."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        try:
            if editor:
                text = edit_in_editor(editor, proposal, proposal["text"])
            else:
                text = self.term.line("new text (empty keeps it): ").strip()
        except ReviewError as exc:
            self.term.say(str(exc))
            return None
        if not text or text == proposal["text"]:
            self.term.say("unchanged")
            return None
        if problem := text_problem(proposal, text):
            self.term.say(f"edit refused: {problem}")
            return None
        return text

    def record(self, proposal: Record, decision: str, text: str, reason: str | None) -> str:
        """Write the decision to the reviews file at once; the outcome counted for the summary."""
        try:
            decide(self.args.reviews, proposal, decision, text, reason, self.reviewer, datetime.now(UTC))
        except ReviewError as exc:  # e.g. decided meanwhile by someone else
            self.term.say(f"not recorded: {exc}")
            return "not recorded"
        edited = decision == "accepted" and text != proposal["text"]
        outcome = "edited" if edited else decision
        self.counts[decision] += 1
        self.counts["edited"] += edited
        self.term.say({"accepted": "accepted", "edited": f"accepted as edited: {text}", "rejected": "rejected"}[outcome])
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


def review_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `hum review`; paths are relative to the project root (the current directory)."""
    parser.add_argument("--proposals", type=Path, default=PROPOSALS, help=f"proposals to review (default: {PROPOSALS})")
    parser.add_argument("--reviews", type=Path, default=REVIEWS, help=f"decisions file, versioned (default: {REVIEWS})")
    parser.add_argument("--reviewer", help="your name (default: git config user.name, else $USER)")
    parser.add_argument("--kind", default="description", help="which kind of proposal to review (default: description)")


def review(args: argparse.Namespace) -> int:
    """Walk the pending proposals one by one; every decision is saved at once."""
    term = Terminal()
    try:
        todo = pending(load_proposals(args.proposals), load_decisions(args.reviews), args.kind)
    except (ReviewError, HumInputError) as exc:
        print(f"hum review: {exc}", file=sys.stderr)
        return 1
    reviewer = args.reviewer or default_reviewer()
    if not reviewer:
        print("hum review: who is reviewing? pass --reviewer NAME (or set git config user.name)", file=sys.stderr)
        return 1
    session = Review(args, term, reviewer)
    if not todo:
        term.say(f"nothing to review: every {args.kind} proposal in {args.proposals} is decided")
        term.say(session.summary())
        return 0
    term.say(f"{len(todo)} {args.kind} proposals to review as {reviewer}; decisions go to {args.reviews} as you make them")
    with _exit_on_termination():
        return session.run(todo)


COMMANDS: tuple[Command, ...] = (
    Command("review", "review LLM proposals: accept, edit, reject or skip each one", review_arguments, review),
)


def parser() -> argparse.ArgumentParser:
    """`hum` and one subparser per entry of COMMANDS."""
    top = argparse.ArgumentParser(prog="hum", description="Human-in-the-loop tools of the hum corpus pipeline.")
    subs = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = subs.add_parser(command.name, help=command.help, description=command.help)
        command.configure(sub)
        sub.set_defaults(run=command.run)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hum` console script; returns the exit status."""
    args = parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
