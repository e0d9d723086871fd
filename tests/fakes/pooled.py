"""A stand-in chat model for a pool of Ray actors: its replies tell which process answered and how busy it was."""

from __future__ import annotations

import os
import threading
import time


class InFlightChat:
    """Replies `<seed> pid=<process> busy=<calls in flight here, this one included>` after `delay` seconds.

    Refuses the seed `refuse` with a ValueError, and `concurrency` below 1 at build (as a real backend does);
    `per_process` makes the fingerprint name the process, as models of two nodes holding different files would.
    """

    def __init__(self, delay: float = 0.2, refuse: int = -1, concurrency: int = 2, per_process: bool = False) -> None:
        if concurrency < 1:
            raise ValueError(f"model.concurrency: an integer >= 1; got {concurrency!r}")
        self.delay, self.refuse, self.concurrency, self.per_process = delay, refuse, concurrency, per_process
        self.busy = 0
        self.lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return f"fake:in-flight:{os.getpid()}" if self.per_process else "fake:in-flight"

    def chat(self, messages: list[dict[str, str]], *, seed: int, temperature: float, max_tokens: int) -> str:
        if seed == self.refuse:
            raise ValueError(f"seed {seed} is refused")
        with self.lock:
            self.busy += 1
            busy = self.busy
        try:
            time.sleep(self.delay)
        finally:
            with self.lock:
                self.busy -= 1
        return f"{seed} pid={os.getpid()} busy={busy}"
