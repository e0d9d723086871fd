"""A Ray head of its own on 127.0.0.1, for tests and benchmarks: `ray start --head` in a new process group.

Stopping it kills that group only: `ray stop --force` would kill every Ray on the machine, a user's cluster too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STARTED = "Ray runtime started"  # what `ray start` prints once the head is up
OBJECT_STORE = 200 * 2**20  # bytes: the batches in flight need little, and /dev/shm is small on CI machines


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command(port: int, cpus: int, temp: Path) -> list[str]:
    """`ray start` for a blocking head on 127.0.0.1 without dashboard or usage stats."""
    ray = str(Path(sys.executable).with_name("ray"))
    return [
        *(ray, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port)),
        *("--num-cpus", str(cpus), "--include-dashboard", "false", "--temp-dir", str(temp)),
        *("--object-store-memory", str(OBJECT_STORE), "--disable-usage-stats"),
    ]


@contextmanager
def local_head(cpus: int = 2, timeout: float = 90) -> Iterator[str]:
    """The address (`127.0.0.1:port`) of a head with `cpus` CPUs, up until the block ends; raises if it does not start.

    Token authentication is off for this head (`RAY_AUTH_MODE=disabled`): a driver given an address sends no token,
    whatever `~/.ray` holds. A real cluster should run with `RAY_AUTH_MODE=token` (see the README).
    """
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: Ray's socket paths must fit in 107 characters
    log, port = temp / "head.log", free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    with log.open("w") as out:
        started = command(port, cpus, temp)  # the ray script beside this interpreter, nothing from outside
        process = subprocess.Popen(started, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)  # noqa: S603
    try:
        deadline = time.monotonic() + timeout
        while STARTED not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Ray head did not start:\n{log.read_text()}")
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the head and every Ray process it started, and nothing else
        process.wait()
        shutil.rmtree(temp, ignore_errors=True)
