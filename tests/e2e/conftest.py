"""The demo lab is shared by the e2e modules of one pytest run (test_demo converges
it, test_scale_out_lab adds a second brain and a load balancer to it); its hosts
are removed once, at the end of the run, whatever happened.

test_aws_inventory has hosts and a network of its own: make test runs it in a
pytest process of its own, beside the demo's.

Only what this run started is removed: the demo's hosts always (only this demo's,
LAB_DEMO: another may run beside it), the shared services (registry, mirror,
network) only when they were not running before, so a caller that brought them
up for others (make test's molecule scenarios run beside) keeps them. The
services are the run's, not a fixture's: the run decides at its start, and
removes them at its end."""

from __future__ import annotations

import os

import pytest
from lab_rig import DEMO, run, services_running

SERVICES_WERE_UP = pytest.StashKey[bool]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[SERVICES_WERE_UP] = services_running()


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Only what this run brought up: a run that started nothing (--collect-only, a -k that selects nothing) leaves all as it was.
    if not session.config.stash.get(SERVICES_WERE_UP, True) and services_running():
        # The caller's environment, not lab_env(): that would bring the services up to remove them.
        down = run(DEMO, "down", timeout=300, env=dict(os.environ))
        assert down.returncode == 0, down.stderr


@pytest.fixture(scope="session")
def demo_lab_removed_at_the_end():
    yield
    down = run(DEMO, "down-hosts", timeout=300)
    assert down.returncode == 0, down.stderr
