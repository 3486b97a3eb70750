"""The embedded Salesforce org: seeded orgs behind a local HTTPS server, for tests, demos and users' pipelines.

Start it as a context manager, or with ``python -m sfshield.testing serve``, or take the ``embedded_org`` pytest
fixture that installing sfshield provides.
"""

from sfshield.testing.org._org import EmbeddedOrg, OrgHandle
from sfshield.testing.org._state import Fault, FaultEndpoint, FaultKind, LoggedRequest

__all__ = ["EmbeddedOrg", "Fault", "FaultEndpoint", "FaultKind", "LoggedRequest", "OrgHandle"]
