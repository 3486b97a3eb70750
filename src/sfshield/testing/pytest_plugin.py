"""pytest fixtures that come with sfshield (registered through the ``pytest11`` entry point).

* ``embedded_org`` — a running :class:`~sfshield.testing.org.EmbeddedOrg` with two seeded orgs, shared by the
  test session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sfshield.testing.org import EmbeddedOrg


@pytest.fixture(scope="session")
def embedded_org() -> Iterator[EmbeddedOrg]:
    """Two seeded orgs on a local HTTPS server for the whole test session."""
    with EmbeddedOrg(orgs=2, size=20) as org:
        yield org
