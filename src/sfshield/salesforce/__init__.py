"""Talking to Salesforce: tenants, OAuth, paging, privilege checks and the other parts of the tenant client.

* :class:`TenantClient` — the one door to one org: guarded query → paged fetch → Shield → audit.
* :class:`TenantRegistry` / :class:`TenantConfig` — which org each tenant is and what it allows (no secrets).
* :class:`TokenManager` — a verified access token per tenant, renewed and rotated, one refresh for many threads.
* :func:`jwt_bearer`, :func:`client_credentials`, :func:`verify_grant`, :func:`revoke` — the OAuth steps it uses.
* :func:`check_privileges` / :func:`enforce` — the integration user's rights against the tenant's needs.
* :func:`iter_query` — every page, and every page of every child subquery.
* :func:`translate_error` — the one boundary where requests and simple-salesforce exceptions become sfshield errors.
"""

from sfshield.salesforce.client import TenantClient
from sfshield.salesforce.oauth import (
    CALL_OPTIONS,
    AccessToken,
    Grant,
    RequestPolicy,
    TokenManager,
    client_credentials,
    jwt_bearer,
    revoke,
    translate_error,
    translate_errors,
    verify_grant,
)
from sfshield.salesforce.paging import iter_query
from sfshield.salesforce.privileges import PrivilegeReport, check_privileges, enforce
from sfshield.salesforce.tenancy import TENANTS_FILE_VARIABLE, OAuthFlow, TenantConfig, TenantRegistry

__all__ = [
    "CALL_OPTIONS",
    "TENANTS_FILE_VARIABLE",
    "AccessToken",
    "Grant",
    "OAuthFlow",
    "PrivilegeReport",
    "RequestPolicy",
    "TenantClient",
    "TenantConfig",
    "TenantRegistry",
    "TokenManager",
    "check_privileges",
    "client_credentials",
    "enforce",
    "iter_query",
    "jwt_bearer",
    "revoke",
    "translate_error",
    "translate_errors",
    "verify_grant",
]
