"""Talking to Salesforce: tenants, OAuth, paging, privilege checks and the other parts of the tenant client.

* :class:`TenantClient` — the one door to one org: guarded query → paged fetch → Shield → audit.
* :class:`TenantRegistry` / :class:`TenantConfig` — which org each tenant is and what it allows (no secrets).
* :func:`load_org_labels` / :class:`OrgLabels` / :class:`LabelSource` — field labels read from the org (Custom
  Metadata, ``FieldDefinition``), merged over the policy, versioned, failing closed; the client caches them.
* :class:`RequestPolicy` / :class:`ApiUsage` — timeouts, retries, and waits that respect the org's API usage.
* :class:`TokenManager` — a verified access token per tenant, renewed and rotated, one refresh for many threads.
* :func:`jwt_bearer`, :func:`client_credentials`, :func:`verify_grant`, :func:`revoke` — the OAuth steps it uses.
* :func:`check_privileges` / :func:`enforce` — the integration user's rights against the tenant's needs.
* :func:`iter_query` — every page, and every page of every child subquery.
* :func:`translate_error` — the one boundary where requests and simple-salesforce exceptions become sfshield errors.
"""

from sfshield.salesforce.calls import CALL_OPTIONS, ApiUsage, RequestPolicy
from sfshield.salesforce.client import TenantClient
from sfshield.salesforce.errors import translate_error, translate_errors
from sfshield.salesforce.labels import LabelSource, OrgLabels, load_org_labels
from sfshield.salesforce.oauth import AccessToken, Grant, client_credentials, jwt_bearer, revoke, verify_grant
from sfshield.salesforce.paging import iter_query
from sfshield.salesforce.privileges import PrivilegeReport, check_privileges, enforce
from sfshield.salesforce.tenancy import TENANTS_FILE_VARIABLE, OAuthFlow, TenantConfig, TenantRegistry
from sfshield.salesforce.tokens import TokenManager

__all__ = [
    "CALL_OPTIONS",
    "TENANTS_FILE_VARIABLE",
    "AccessToken",
    "ApiUsage",
    "Grant",
    "LabelSource",
    "OAuthFlow",
    "OrgLabels",
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
    "load_org_labels",
    "revoke",
    "translate_error",
    "translate_errors",
    "verify_grant",
]
