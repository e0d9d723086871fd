"""Shared fixtures: the project root and the real shared data samples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
# Test doubles (tests/fakes, conftest.FakeChat) may stand in for a model only where a run opts in; the stage
# subprocesses that tests start inherit this, real configs never see it.
os.environ.setdefault("HUM_ALLOW_TEST_MODELS", "fakes.,conftest.")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the shared data samples are missing: {SHARED}")
    return SHARED
