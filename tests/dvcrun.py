"""Commands in a scratch project (git, DVC) and fingerprints of what they built: shared by the end-to-end tests."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path


def environment() -> dict[str, str]:
    """This environment with this interpreter's scripts first on PATH: DVC's stage commands run `python` from there."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """A command's output (stdout then stderr); a failure fails the test with both."""
    done = subprocess.run(args, cwd=cwd, env=env or environment(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def dvc(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """`dvc ARGS` with this interpreter's DVC."""
    return run(cwd, sys.executable, "-m", "dvc", *args, env=env)


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    files = (p for p in sorted(folder.rglob("*")) if p.is_file())
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
