"""``EmbeddedOrg``: several seeded Salesforce orgs behind one local HTTPS server, for tests, demos and users.

Like moto for AWS: start it, point simple-salesforce (unchanged) at ``instance_url`` with a session that trusts
``ca_file``, and every request is answered the way Salesforce would — or with the fault a test switched on.
"""

from __future__ import annotations

import json
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sfshield.testing.org._schema import OrgData
from sfshield.testing.org._seed import seed_org
from sfshield.testing.org._server import OrgServer
from sfshield.testing.org._state import Client, Fault, FaultEndpoint, FaultKind, LoggedRequest, OrgState
from sfshield.testing.org._tls import TlsMaterial, make_tls

__all__ = ["EmbeddedOrg", "OrgHandle"]


@dataclass(frozen=True, slots=True)
class OrgHandle:
    """How to reach one org: its id, login URL, and the integration user's OAuth client and a ready token."""

    org_id: str
    login_url: str
    client_id: str
    client_secret: str
    user_id: str
    username: str
    access_token: str

    def __repr__(self) -> str:
        return f"OrgHandle(org_id={self.org_id!r}, username={self.username!r}, <credentials redacted>)"


class EmbeddedOrg:
    """Seeded Salesforce orgs on ``https://127.0.0.1:<port>`` with a throwaway CA.

    Args:
        orgs: how many orgs (tenants) to serve; each has its own id, users, OAuth clients and data.
        size: Accounts per org (Contacts, Cases … scale with it).
        seed: the data seed; the same seed gives the same data.
        clock: the time source for token expiry (inject one in tests instead of sleeping).
        client_scopes: the OAuth scopes each org's integration client grants (over-scope it on purpose, e.g.
            ``("api", "full", "refresh_token")``, to test scope checks).
    """

    def __init__(
        self,
        *,
        orgs: int = 2,
        size: int = 20,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        client_scopes: tuple[str, ...] = ("api",),
    ) -> None:
        if orgs < 1:
            raise ValueError("an embedded org needs at least one org")
        self._jwt_keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(orgs)]
        self._states = [
            _state(seed_org(org_index=i, size=size, seed=seed), clock, self._jwt_keys[i], client_scopes)
            for i in range(orgs)
        ]
        self._tls: TlsMaterial | None = None
        self._server: OrgServer | None = None
        self._thread: threading.Thread | None = None
        self.handles: list[OrgHandle] = []

    def __repr__(self) -> str:
        where = self.instance_url if self._server else "stopped"
        return f"EmbeddedOrg({len(self._states)} orgs, {where})"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.stop()

    def start(self) -> None:
        """Generate the CA, bind an ephemeral port on 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            return
        self._tls = make_tls()
        server = OrgServer(("127.0.0.1", 0), self._states)
        server.socket = self._tls.context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="sfshield-embedded-org", daemon=True)
        self._thread.start()
        self.handles = [self._handle(state) for state in self._states]

    def stop(self) -> None:
        """Stop serving and delete the CA file."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._tls is not None:
            shutil.rmtree(self._tls.folder, ignore_errors=True)
            self._tls = None

    @property
    def instance_url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        if self._server is None:
            raise RuntimeError("the embedded org is not running; use it as a context manager or call start()")
        return self._server.base_url

    @property
    def ca_file(self) -> str:
        """Path of the PEM file of the throwaway CA that signed the server certificate."""
        if self._tls is None:
            raise RuntimeError("the embedded org is not running")
        return str(self._tls.ca_file)

    def session(self) -> requests.Session:
        """A ``requests.Session`` that trusts the org's CA and ignores proxy/CA environment variables."""
        session = requests.Session()
        session.verify = self.ca_file
        session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override verify
        return session

    def org(self, index: int = 0) -> OrgState:
        """The live state of org ``index`` (its data, request log, API usage)."""
        return self._states[index]

    def requests_log(self, index: int = 0) -> list[LoggedRequest]:
        """What org ``index`` served, request by request: user, SOQL, rows returned."""
        return list(self._states[index].log)

    def inject(
        self,
        kind: FaultKind | str,
        *,
        org: int = 0,
        nth: int | None = None,
        rate: float | None = None,
        times: int | None = 1,
        seconds: float = 0.0,
        status: int = 500,
        endpoint: FaultEndpoint | str = FaultEndpoint.DATA,
    ) -> Fault:
        """Arm a fault on org ``org``'s ``endpoint``: on the ``nth`` request (counted from now) or at a ``rate``.

        The data API is the default endpoint; ``endpoint="token"`` arms the OAuth token endpoint for logins with
        org ``org``'s connected app (5xx, latency for timeouts, garbled bodies, resets, ``invalid_grant``). It fires
        ``times`` times (``None``: until :meth:`clear_faults`). Returns the fault; ``fault.fired`` counts.

        Raises:
            ValueError: neither or both of ``nth`` and ``rate`` were given, they are out of range, or the kind does
                not apply to the endpoint (``REQUEST_LIMIT`` on the token endpoint, ``INVALID_GRANT`` on data).
        """
        if (nth is None) == (rate is None) or (nth is not None and nth < 1) or not 0 <= (rate or 0) <= 1:
            raise ValueError("give exactly one of nth >= 1 or 0 <= rate <= 1")
        fault = Fault(FaultKind(kind), nth, rate, times, seconds, status, endpoint=FaultEndpoint(endpoint))
        self._states[org].arm(fault)
        return fault

    def issue_refresh_token(self, org: int = 0) -> str:
        """A refresh token for org ``org``'s integration client, as a web-server flow would have left behind.

        Use it with ``grant_type=refresh_token`` and the client's id and secret.
        """
        state = self._states[org]
        client = next(iter(state.clients.values()))
        token = f"5Aep861{secrets.token_urlsafe(40)}"
        with state.lock:
            state.refresh_tokens[token] = (client.client_id, client.run_as)
        return token

    def jwt_private_key(self, org: int = 0) -> bytes:
        """The PEM private key whose certificate org ``org``'s integration client registered (JWT bearer flow).

        Test material: it exists only in this process, like the org itself.
        """
        return self._jwt_keys[org].private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def clear_faults(self, org: int = 0) -> None:
        """Disarm every fault of org ``org``."""
        with self._states[org].lock:
            self._states[org].faults.clear()

    def ready_line(self) -> str:
        """One JSON line describing the running org, for ``python -m sfshield.testing serve``."""
        return json.dumps(
            {"instance_url": self.instance_url, "ca_file": self.ca_file, "orgs": [_public(h) for h in self.handles]}
        )

    def _handle(self, state: OrgState) -> OrgHandle:
        client = next(iter(state.clients.values()))
        session = state.issue(client)
        user = _user(state.data, client.run_as)
        return OrgHandle(
            state.org_id,
            self.instance_url,
            client.client_id,
            client.client_secret,
            client.run_as,
            str(user.get("Username", "")),
            session.token,
        )


# Setup and metadata objects an integration user reads through "View Setup" and public CMT access, not through
# object permissions: the privilege check and the classification loader need them.
_SETUP_OBJECTS = frozenset(
    {
        "User",
        "Profile",
        "PermissionSet",
        "PermissionSetAssignment",
        "ObjectPermissions",
        "FieldPermissions",
        "Sfshield_Field_Policy__mdt",
        "EntityDefinition",
        "FieldDefinition",
    }
)


def _state(data: OrgData, clock: Callable[[], float], jwt_key: rsa.RSAPrivateKey, scopes: tuple[str, ...]) -> OrgState:
    state = OrgState(data, clock=clock)
    users = data.records.get("User", [])
    integration = next((u for u in users if str(u.get("Username", "")).startswith("integration@")), users[0])
    suffix = data.org_id[-6:]
    client = Client(
        f"3MVG9sfshield{suffix}integration",
        f"secret-{suffix}-integration",
        integration["Id"],
        scopes=scopes,
        jwt_key=jwt_key.public_key(),
    )
    state.clients[client.client_id] = client
    state.unreadable_objects[integration["Id"]], state.unreadable_fields[integration["Id"]] = _security(
        data, integration["Id"]
    )
    return state


def _security(data: OrgData, user_id: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Objects and fields the user cannot read, from the seeded permission records (none for View All Data)."""
    sets = {a["PermissionSetId"] for a in data.records.get("PermissionSetAssignment", []) if a["AssigneeId"] == user_id}
    perms = [p for p in data.records.get("PermissionSet", []) if p["Id"] in sets]
    if not perms or any(p.get("PermissionsViewAllData") for p in perms):
        return set(), set()
    readable = {
        o["SobjectType"].casefold()
        for o in data.records.get("ObjectPermissions", [])
        if o["ParentId"] in sets and o.get("PermissionsRead")
    }
    objects = {
        name.casefold() for name in data.schema if name.casefold() not in readable and name not in _SETUP_OBJECTS
    }
    fields = {
        tuple(f["Field"].casefold().split(".", 1))
        for f in data.records.get("FieldPermissions", [])
        if f["ParentId"] in sets and not f.get("PermissionsRead")
    }
    return objects, fields


def _user(data: OrgData, user_id: str) -> dict[str, Any]:
    return next(u for u in data.records.get("User", []) if u["Id"] == user_id)


def _public(handle: OrgHandle) -> dict[str, str]:
    return {
        "org_id": handle.org_id,
        "login_url": handle.login_url,
        "username": handle.username,
        "user_id": handle.user_id,
        "client_id": handle.client_id,
        "access_token": handle.access_token,
    }
