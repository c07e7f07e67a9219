"""The demo lab is shared by the e2e modules of one pytest run (test_demo converges
it, test_scale_out_lab adds a second brain and a load balancer to it) and removed
once, at the end of the run, whatever happened.

Only what this run started is removed: the demo's hosts always, the shared
services (registry, mirror, network) only when they were not running before, so
a caller that brought them up for others (make test's molecule scenarios run
beside) keeps them."""

from __future__ import annotations

import pytest
from lab_rig import PROJECT, run, services_running


@pytest.fixture(scope="session")
def demo_lab_removed_at_the_end():
    services_were_up = services_running()
    yield
    down = run(PROJECT / "tests" / "lab" / "demo.sh", "down-hosts" if services_were_up else "down", timeout=300)
    assert down.returncode == 0, down.stderr
