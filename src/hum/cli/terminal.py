"""The user's side of a review: raw keys on a TTY, whole lines otherwise, and a terminal restored on any exit."""

from __future__ import annotations

import os
import select
import signal
import sys
import termios
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TextIO


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


@contextmanager
def exit_on_termination() -> Iterator[None]:
    """SIGTERM/SIGHUP unwind like Ctrl-C does, so the terminal is restored (decisions are saved as made)."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
