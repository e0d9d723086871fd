"""The Ray head every runner test shares: started once for this package on 127.0.0.1 with 2 CPUs, killed after it.

Package scope: a head costs seconds to start, and its idle processes must not outlive the Ray tests (the model tests
that follow them time nothing, but share the two cores).
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
from pathlib import Path

import pytest
import ray


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="package")
def head():
    """The address of a Ray head on 127.0.0.1 with 2 CPUs; its whole process group is killed afterwards."""
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: Ray's socket paths must fit in 107 characters
    log, port = temp / "head.log", free_port()
    command = [str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", "--node-ip-address", "127.0.0.1"]
    command += ["--port", str(port), "--num-cpus", "2", "--include-dashboard", "false", "--temp-dir", str(temp)]
    command += ["--object-store-memory", str(200 * 2**20), "--disable-usage-stats"]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}  # whatever token ~/.ray holds: a driver given an address sends none
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "Ray runtime started" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Ray head did not start:\n{log.read_text()}")
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        ray.shutdown()
        os.killpg(process.pid, signal.SIGKILL)  # the head and every Ray process it started, and nothing else
        process.wait()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def address(head):
    """The head's address, this process connected to no cluster before and after the test."""
    ray.shutdown()
    yield head
    ray.shutdown()
