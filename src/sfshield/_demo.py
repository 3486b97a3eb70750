"""``sfshield demo``: the whole path against the embedded Salesforce org, printed step by step.

It starts two seeded orgs on a local HTTPS server, connects with simple-salesforce as the least-privilege
integration user, loads the field classification from the org's Custom Metadata, guards an LLM-written query,
fetches and protects the records for two purposes, and verifies the hash-chained audit trail it leaves in a
folder it names.
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
from sfshield.classification import Classification, labels_from_custom_metadata, parse_classification
from sfshield.crypto import EnvelopeCipher
from sfshield.dlp import QuarantineStore
from sfshield.exceptions import QueryRejectedError
from sfshield.filtering import FilterResult
from sfshield.shield import Shield
from sfshield.testing import InMemoryKeyProvider
from sfshield.testing.org import EmbeddedOrg
from sfshield.transforms import PseudonymKey

__all__ = ["load_demo_policy", "run_demo"]

_DATA = resources.files("sfshield._data")
_CMT_QUERY = (
    "SELECT DeveloperName, Object__r.QualifiedApiName, Field__r.QualifiedApiName, Sensitivity__c, "
    "Compliance_Groups__c, Tags__c, Kind__c FROM Sfshield_Field_Policy__mdt"
)
_LLM_QUERY = (
    "select Id, FirstName, LastName, Email, Phone, Title, Account.Name, "
    "(select Subject, Status, Description from Cases) from Contact where Title != null"
)
_LEAKY_QUERY = "SELECT Id, Name FROM Contact WHERE Email LIKE '%@gmail.com' ORDER BY Account.Discount__c"


def load_demo_policy() -> Classification:
    """Return the bundled demo policy (its rules; the demo adds the org's own labels)."""
    text = _DATA.joinpath("demo_policy.toml").read_text(encoding="utf-8")
    return parse_classification(text, source="sfshield/_data/demo_policy.toml")


def run_demo(out: Path | None = None) -> int:
    """Run the demo, leaving the audit trail in ``out`` (a new folder if ``None``); return 0."""
    folder = out or Path(tempfile.mkdtemp(prefix="sfshield-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    _say("Starting the embedded Salesforce org (2 seeded orgs, HTTPS with a throwaway CA)…")
    with EmbeddedOrg(orgs=2, size=12) as org:
        handle = org.handles[0]
        _say(f"  {org.instance_url}  org {handle.org_id}  as {handle.username} (least privilege)")
        sf = Salesforce(
            instance_url=org.instance_url, session_id=handle.access_token, session=org.session(), version="66.0"
        )
        policy = _policy_from_org(sf)
        with JsonlAuditSink(folder / "audit.jsonl") as sink:
            audit = AuditPipeline(sinks=[sink])
            # A real deployment keeps its KEK in a key file or an HSM (sfshield.keys); the demo's lives in memory.
            cipher = EnvelopeCipher(InMemoryKeyProvider())
            quarantine = QuarantineStore(cipher, folder / "quarantine.db", audit=audit)
            shield = Shield(
                policy,
                tenant="nordhavn-eu",
                org_id=handle.org_id,
                audit=audit,
                pseudonym_key=PseudonymKey.generate(),
                quarantine=quarantine,
            )
            records = _guarded_fetch(shield, sf)
            _show_purposes(shield, records)
            _show_quarantine(quarantine)
        _show_server_log(org)
    report = verify_audit_file(folder / "audit.jsonl")
    _say(f"\nAudit trail: {report.lines} events, hash chain intact. Artefacts are in {folder}")
    _say(f"  verify it yourself: sfshield audit verify {folder / 'audit.jsonl'}")
    return 0


def _policy_from_org(sf: Salesforce) -> Classification:
    rows = sf.query_all(_CMT_QUERY)["records"]
    policy = load_demo_policy().with_labels(labels_from_custom_metadata(rows))
    _say(f"\nClassification: {len(rows)} labels read from Sfshield_Field_Policy__mdt, merged with the demo rules")
    _say(f"  policy {policy.version}  sha256 {policy.sha256[:16]}…  (anything unlabelled is dropped)")
    return policy


def _guarded_fetch(shield: Shield, sf: Salesforce) -> list[dict[str, Any]]:
    guard = shield.soql_guard(purpose="support_copilot", max_limit=50)
    _say("\nAn LLM wrote:  " + _LEAKY_QUERY)
    try:
        guard.check(_LEAKY_QUERY)
    except QueryRejectedError as rejected:
        _say("  rejected:" + "".join(f"\n    - {reason}" for reason in rejected.reasons))
    _say("An LLM wrote:  " + _LLM_QUERY)
    checked = guard.check(_LLM_QUERY)
    _say(f"  allowed as:  {checked.soql}")
    records: list[dict[str, Any]] = sf.query_all(checked.soql)["records"]
    _say(f"  fetched {len(records)} Contacts over HTTPS with simple-salesforce")
    return records


def _show_purposes(shield: Shield, records: list[dict[str, Any]]) -> None:
    first = next((r for r in records if _has_clean_case_text(r)), records[0])
    batch = [first, *(r for r in records if r is not first)]
    _say("\nA Contact with Cases, as Salesforce returned it (abridged):")
    _say(_json(_abridged(first)))
    for purpose in ("support_copilot", "training"):
        result = shield.protect(batch, purpose=purpose)
        _say(f"\n── purpose {purpose!r}: what reaches the model ──")
        _say(_json(_abridged(result[0])))
        _say(_summary(result))
        if result.held:
            _say(f"held back: {result.held} Contact(s) whose case text holds credentials went to the quarantine")


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
