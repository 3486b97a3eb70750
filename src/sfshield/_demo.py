"""``sfshield demo``: the whole path against the embedded Salesforce org, printed step by step.

It starts two seeded orgs (two tenants) on a local HTTPS server and reads through
:class:`~sfshield.salesforce.TenantClient`: sfshield's own OAuth login with the tenant's client (org, scope and user
checked), the integration user's privileges checked, the field labels loaded from the org's Custom Metadata and
FieldDefinition and merged over the demo rules (``labels_from_org``), an LLM-written query guarded, pages fetched and
protected for two purposes. It shows a refused over-privileged configuration and a
refused over-scoped client, and verifies the hash-chained audit trail it leaves in a folder it names.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from simple_salesforce.api import Salesforce

from sfshield.audit import AuditPipeline, JsonlAuditSink, verify_audit_file
from sfshield.classification import Classification, parse_classification
from sfshield.crypto import EnvelopeCipher, TokenKind, TokenRef, TokenStore
from sfshield.dlp import QuarantineStore
from sfshield.exceptions import PrivilegeError, QueryRejectedError, ScopeError
from sfshield.filtering import FilterResult
from sfshield.salesforce import OrgLabels, TenantClient, TenantConfig
from sfshield.shield import Shield
from sfshield.testing import InMemoryKeyProvider
from sfshield.testing.org import EmbeddedOrg
from sfshield.transforms import PseudonymKey

__all__ = ["load_demo_policy", "run_demo"]

_DATA = resources.files("sfshield._data")
_LLM_QUERY = (
    "select Id, FirstName, LastName, Email, Phone, Title, Account.Name, "
    "(select Subject, Status, Description from Cases) from Contact where Title != null"
)
_LEAKY_QUERY = "SELECT Id, Name FROM Contact WHERE Email LIKE '%@gmail.com' ORDER BY Account.Discount__c"


def load_demo_policy() -> Classification:
    """Return the bundled demo policy (its rules; the tenant client adds the org's own labels)."""
    text = _DATA.joinpath("demo_policy.toml").read_text(encoding="utf-8")
    return parse_classification(text, source="sfshield/_data/demo_policy.toml")


def run_demo(out: Path | None = None) -> int:
    """Run the demo, leaving the audit trail in ``out`` (a new folder if ``None``); return 0."""
    folder = out or Path(tempfile.mkdtemp(prefix="sfshield-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    _say("Starting the embedded Salesforce org (2 seeded orgs, HTTPS with a throwaway CA)…")
    with EmbeddedOrg(orgs=2, size=12) as org:
        handle = org.handles[0]
        _say(f"  {org.instance_url}  org {handle.org_id}  integration user {handle.username}")
        sf = Salesforce(
            instance_url=org.instance_url, session_id=handle.access_token, session=org.session(), version="66.0"
        )
        # A real deployment keeps its KEK in a key file or an HSM (sfshield.keys); the demo's lives in memory.
        cipher = EnvelopeCipher(InMemoryKeyProvider())
        with TokenStore.in_memory(cipher) as tokens, JsonlAuditSink(folder / "audit.jsonl") as sink:
            audit = AuditPipeline(sinks=[sink])
            with QuarantineStore(cipher, folder / "quarantine.db", audit=audit) as quarantine:
                clients = [_client(org, i, _shield(org, i, audit, quarantine), tokens) for i in (0, 1)]
                _say(f"\n{_TENANTS[0]}: logged in with its own OAuth client; org, scope, user and privileges checked")
                labels = clients[0].load_labels()
                _show_labels(labels)
                raw = _raw_contacts(sf)
                _guarded_queries(clients[0], raw)
                _show_quarantine(quarantine)
                _second_tenant(clients[1], raw)
                _refusals(org, labels.classification, tokens, audit)
        _show_server_log(org)
    report = verify_audit_file(folder / "audit.jsonl")
    _say(f"\nAudit trail: {report.lines} events, hash chain intact. Artefacts are in {folder}")
    _say(f"  verify it yourself: sfshield audit verify {folder / 'audit.jsonl'}")
    return 0


def _show_labels(labels: OrgLabels) -> None:
    _say(
        f"\nClassification: {labels.custom_metadata_records} labels read from Sfshield_Field_Policy__mdt and "
        f"{labels.field_definition_labels} from FieldDefinition, merged with the demo rules (never lowering them)"
    )
    _say(
        f"  policy {labels.classification.version}  version {labels.version}  (anything unlabelled is dropped; "
        "read again after the tenant's labels_ttl)"
    )


_TENANTS = ("nordhavn-eu", "lakeside-de")
_OBJECTS = ("Account", "Contact", "Case", "User", "Opportunity", "Invoice__c")


def _config(org: EmbeddedOrg, index: int, **changes: Any) -> TenantConfig:
    handle = org.handles[index]
    fields: dict[str, Any] = {
        "tenant": _TENANTS[index],
        "org_id": handle.org_id,
        "login_url": org.instance_url,
        "oauth_flow": "client_credentials",
        "client_id": handle.client_id,
        "integration_username": handle.username,
        "allowed_purposes": ["support_copilot", "training"],
        "allowed_objects": list(_OBJECTS),
        "labels_from_org": True,  # the org's Custom Metadata and FieldDefinition labels, merged over the demo rules
    }
    fields.update(changes)
    return TenantConfig.model_validate(fields)


def _store_secret(tokens: TokenStore, config: TenantConfig, secret: str) -> None:
    ref = TokenRef(tenant=config.tenant, org_id=config.org_id, client_id=config.client_id, kind=TokenKind.CLIENT_SECRET)
    tokens.put(ref, secret)


def _shield(org: EmbeddedOrg, index: int, audit: AuditPipeline, quarantine: QuarantineStore) -> Shield:
    """Tenant ``index``'s Shield under the demo rules; its client merges the org's labels over them."""
    return Shield(
        load_demo_policy(),
        tenant=_TENANTS[index],
        org_id=org.handles[index].org_id,
        audit=audit,
        pseudonym_key=PseudonymKey.generate(),
        quarantine=quarantine,
    )


def _client(org: EmbeddedOrg, index: int, shield: Shield, tokens: TokenStore, **changes: Any) -> TenantClient:
    config = _config(org, index, **changes)
    _store_secret(tokens, config, org.handles[index].client_secret)
    client = TenantClient(config, shield=shield, token_store=tokens, session=org.session())
    client.connect()
    return client


def _raw_contacts(sf: Salesforce) -> list[dict[str, Any]]:
    """What an unguarded integration would send on: the records exactly as Salesforce returns them."""
    records: list[dict[str, Any]] = sf.query_all(_LLM_QUERY)["records"]
    return records


def _guarded_queries(client: TenantClient, raw: list[dict[str, Any]]) -> None:
    _say("\nAn LLM wrote:  " + _LEAKY_QUERY)
    try:
        client.query(_LEAKY_QUERY, purpose="support_copilot")
    except QueryRejectedError as rejected:
        _say("  rejected:" + "".join(f"\n    - {reason}" for reason in rejected.reasons))
    _say("An LLM wrote:  " + _LLM_QUERY)
    first = next((r for r in raw if _has_clean_case_text(r)), raw[0])
    _say("\nA Contact with Cases, as Salesforce returns it (what an unguarded integration would send):")
    _say(_json(_abridged(first)))
    for purpose in ("support_copilot", "training"):
        # For training the guard rewrites the query: the fields training may not read are never requested.
        records = list(client.query(_LLM_QUERY, purpose=purpose, rewrite=purpose == "training"))
        shown = next((r for r in records if r.get("Id") == first["Id"]), records[0])
        _say(f"\n── purpose {purpose!r}: what reaches the model ({len(records)} Contacts) ──")
        _say(_json(_abridged(shown)))
        held = len(raw) - len(records)
        if held:
            _say(f"held back: {held} Contact(s) whose case text holds credentials went to the quarantine")


def _second_tenant(client: TenantClient, raw: list[dict[str, Any]]) -> None:
    other = list(client.query("SELECT Id, Title FROM Contact", purpose="training"))
    mixed = {r["Id"] for r in other} & {r["Id"] for r in raw}
    _say(
        f"\n{_TENANTS[1]}: its own client and token read {len(other)} Contacts of its own org; shared with "
        f"{_TENANTS[0]}: {len(mixed)}"
    )


def _refusals(org: EmbeddedOrg, policy: Classification, tokens: TokenStore, audit: AuditPipeline) -> None:
    _say("\nConfigurations sfshield refuses to run with:")
    shield = Shield(policy, tenant=_TENANTS[0], audit=audit, pseudonym_key=PseudonymKey.generate())
    try:
        _client(org, 0, shield, tokens, allowed_objects=["Contact", "Account"], labels_from_org=False)
    except PrivilegeError as refused:
        _say(f"  over-privileged user: {', '.join(refused.excessive)} beyond what the tenant needs -> refused")
    with EmbeddedOrg(orgs=1, size=2, client_scopes=("api", "full", "refresh_token")) as wide:
        wide_shield = Shield(policy, tenant=_TENANTS[0], audit=audit, pseudonym_key=PseudonymKey.generate())
        with TokenStore.in_memory(EnvelopeCipher(InMemoryKeyProvider())) as wide_tokens:
            try:
                _client(wide, 0, wide_shield, wide_tokens, labels_from_org=False)
            except ScopeError:
                _say("  over-scoped OAuth client (api full refresh_token): token revoked at once -> refused")


def _has_clean_case_text(record: dict[str, Any]) -> bool:
    cases = record.get("Cases")
    rows = cases.get("records", []) if isinstance(cases, dict) else []
    text = " ".join(str(row.get("Description") or "") for row in rows)
    return bool(rows) and "@" in text and "00D" not in text and "password" not in text.lower()


def _show_quarantine(quarantine: QuarantineStore) -> None:
    entries = quarantine.list()
    if not entries:
        return
    kinds = Counter(kind for entry in entries for kind in entry.kinds)
    _say(f"\nQuarantine: {len(entries)} record(s) held, encrypted, for review ({dict(sorted(kinds.items()))})")
    _say("  (in production: sfshield quarantine list|show|release STORE; the demo's key lived in memory only)")


def _show_server_log(org: EmbeddedOrg) -> None:
    served = [entry for entry in org.requests_log(0) if entry.soql]
    rows = sum(entry.rows for entry in served)
    _say(f"\nThe org's own log: {len(served)} queries by the integration user, {rows} rows left the org")


def _abridged(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if k != "attributes"}
    cases = out.get("Cases")
    if isinstance(cases, dict):
        rows = [{k: v for k, v in row.items() if k != "attributes"} for row in cases.get("records", [])[:1]]
        out["Cases"] = {"totalSize": cases.get("totalSize"), "records": rows}
    if isinstance(out.get("Account"), dict):
        out["Account"] = {k: v for k, v in out["Account"].items() if k != "attributes"}
    return out


_RELATIONSHIPS = frozenset({"Account", "Cases", "Owner"})


def _summary(result: FilterResult) -> str:
    actions: Counter[str] = Counter()
    dropped: set[str] = set()
    for decision, count in result.field_counts().items():
        actions[str(decision.action)] += count
        # An empty lookup (Account = null) is a "field" with no label; it is not data being withheld.
        if decision.action == "drop" and not (decision.reason == "unlabelled" and decision.path in _RELATIONSHIPS):
            dropped.add(decision.path)
    return f"field decisions over the batch: {dict(sorted(actions.items()))}; dropped: {', '.join(sorted(dropped))}"


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _say(text: str) -> None:
    print(text)  # noqa: T201 - the demo talks to the person who ran it
