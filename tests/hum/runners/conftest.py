"""The Ray head every runner test shares: started once for this package on 127.0.0.1 with 2 CPUs, killed after it.

Package scope: a head costs seconds to start, and its idle processes must not outlive the Ray tests (the model tests
that follow them time nothing, but share the two cores).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import ray

from hum.runners.head import local_head


@pytest.fixture(scope="package")
def head() -> Iterator[str]:
    """The address of a Ray head on 127.0.0.1 with 2 CPUs, shared by the package's tests."""
    with local_head(cpus=2) as address:
        try:
            yield address
        finally:
            ray.shutdown()  # this process leaves the cluster before the head goes


@pytest.fixture
def address(head):
    """The head's address, this process connected to no cluster before and after the test."""
    ray.shutdown()
    yield head
    ray.shutdown()
