"""Tenants of the embedded org for tests: a client-credentials TenantConfig and a token store holding its secret."""

from __future__ import annotations

from typing import Any

from sfshield.crypto import EnvelopeCipher, TokenKind, TokenRef, TokenStore
from sfshield.salesforce import TenantConfig
from sfshield.testing import EmbeddedOrg, InMemoryKeyProvider
from tests._closing import close_after_test


def tenant_config(org: EmbeddedOrg, /, *, index: int = 0, **changes: Any) -> TenantConfig:
    """Tenant ``acme`` on org ``index``, with that org's client-credentials app and integration user.

    ``changes`` override any setting (``allowed_objects``, ``labels_from_org`` …).
    """
    handle = org.handles[index]
    fields: dict[str, Any] = {
        "tenant": "acme",
        "org_id": handle.org_id,
        "login_url": org.instance_url,
        "oauth_flow": "client_credentials",
        "client_id": handle.client_id,
        "integration_username": handle.username,
        "allowed_purposes": ["training"],
        "allowed_objects": ["Account", "Case", "Contact", "Invoice__c", "Opportunity", "User"],
    }
    fields.update(changes)
    return TenantConfig.model_validate(fields)


def token_store(org: EmbeddedOrg, config: TenantConfig, /, *, index: int = 0) -> TokenStore:
    """An in-memory token store holding the client secret of org ``index``'s app for ``config``."""
    store = close_after_test(TokenStore.in_memory(EnvelopeCipher(InMemoryKeyProvider())))
    app = TokenRef(tenant=config.tenant, org_id=config.org_id, client_id=config.client_id, kind=TokenKind.CLIENT_SECRET)
    store.put(app, org.handles[index].client_secret)
    return store
