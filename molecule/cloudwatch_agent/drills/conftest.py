"""Drills change the hosts (`MOLECULE_VERIFY_DIR=drills molecule verify`); the read-only checks are in tests/."""

import pytest
from lab_helpers import converged_scenario  # noqa: F401 - the fixture below starts from it


@pytest.fixture(scope="session", autouse=True)
def start_converged(converged_scenario):  # noqa: F811 - pytest passes the imported fixture
    """Every drill run starts from the converged scenario, whatever ran before it."""
