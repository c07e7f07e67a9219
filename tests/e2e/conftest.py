"""The demo lab is shared by the e2e modules of one pytest run (test_demo converges
it, test_scale_out_lab adds a second brain and a load balancer to it) and removed
once, at the end of the run, whatever happened."""

from __future__ import annotations

import pytest
from lab_rig import PROJECT, run


@pytest.fixture(scope="session")
def demo_lab_removed_at_the_end():
    yield
    down = run(PROJECT / "tests" / "lab" / "demo.sh", "down", timeout=300)
    assert down.returncode == 0, down.stderr
