"""Shared test configuration: hypothesis profiles, and closing the stores test helpers open.

Profiles: ``default`` for the gate, ``slow`` for `nox -s slow`. Stores: see ``tests._closing``.
"""

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests._closing import close_registered

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile("slow", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")


@pytest.fixture(autouse=True)
def _close_registered_stores() -> Iterator[None]:
    """Close the stores test helpers registered with ``tests._closing.close_after_test``."""
    yield
    close_registered()
