"""Shield.protect with a policy's dlp section: kept text scanned, redacted, quarantined or blocked, and audited.

The audit trail records kinds and counts, never values.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfshield import Shield
from sfshield.audit import (
    AuditPipeline,
    InMemoryAuditSink,
    OperationBlocked,
    RecordsFiltered,
    RecordsQuarantined,
    TextScanned,
)
from sfshield.classification import Classification
from sfshield.crypto import EnvelopeCipher
from sfshield.dlp import Confidence, Finding, QuarantineStore, Scanner
from sfshield.dlp.redaction import decrypt_surrogates
from sfshield.exceptions import ConfigurationError, QuarantineError, SensitiveDataBlockedError
from sfshield.testing import InMemoryKeyProvider
from tests._closing import close_after_test

SESSION = "00D5g000000ABCD!AQ4AQFXmBq3Yw0N2k1lJ7Z8xvT6pLhR9sKdEaWcUoIyVbNmQ"
LABELS = {
    "*.Id": {"sensitivity": "Public"},
    "*.Subject": {"sensitivity": "Internal"},
    "*.Description": {"sensitivity": "Internal", "tags": ["free-text"]},
    "Contact.LastName": {"sensitivity": "Internal"},
    "Case.SuppliedEmail": {"sensitivity": "Confidential", "compliance": ["PII"]},
}
RULES = [{"name": "internal", "purposes": ["*"], "max_sensitivity": "Internal", "action": "keep"}]


def _policy(dlp: dict[str, Any]) -> Classification:
    return Classification.model_validate({"version": "t1", "labels": LABELS, "rules": RULES, "dlp": dlp})


POLICY = _policy(
    {
        "fields": ["*.Description"],
        "rules": [
            {"name": "contacts", "purposes": ["embedding"], "kinds": ["EMAIL_ADDRESS"], "action": "placeholder"},
            {"name": "cards", "purposes": ["*"], "kinds": ["CREDIT_CARD"], "action": "mask", "keep_last": 4},
        ],
    }
)


def _case(record_id: str, description: str) -> dict[str, Any]:
    return {
        "attributes": {"type": "Case"},
        "Id": record_id,
        "Subject": "Login problem, call +1 415 555 0100",
        "Description": description,
        "SuppliedEmail": "ana@example.com",
    }


def _shield(policy: Classification = POLICY, **kwargs: Any) -> tuple[Shield, InMemoryAuditSink, EnvelopeCipher]:
    sink = InMemoryAuditSink()
    cipher = EnvelopeCipher(InMemoryKeyProvider())
    pipeline = AuditPipeline(sinks=[sink])
    store = close_after_test(QuarantineStore.in_memory(cipher, audit=pipeline))
    shield = Shield(policy, tenant="acme", audit=pipeline, quarantine=kwargs.pop("quarantine", store), **kwargs)
    return shield, sink, cipher


def test_kept_text_is_redacted_and_credentials_are_quarantined() -> None:
    shield, sink, _ = _shield()
    records = [
        _case("500000000000001AAA", "Customer ana@example.com paid with 4111 1111 1111 1111."),
        _case("500000000000002AAA", f"She pasted her session {SESSION} into the case."),
        _case("500000000000003AAA", "Nothing sensitive here."),
    ]
    result = shield.protect(records, purpose="embedding")

    assert [r["Id"] for r in result] == ["500000000000001AAA", "500000000000003AAA"]
    assert result.held == 1
    assert result[0]["Description"] == "Customer <EMAIL_ADDRESS_1> paid with ***************1111."
    assert result[0]["Subject"] == "Login problem, call +1 415 555 0100"  # not a dlp field: not scanned
    assert "SuppliedEmail" not in result[0]  # dropped by the field filter, never scanned
    (scanned,) = [e for e in sink.events if isinstance(e, TextScanned)]
    assert scanned.held_back == 1
    assert {(f.path, f.kind, f.action, f.count) for f in scanned.findings} == {
        ("Description", "EMAIL_ADDRESS", "placeholder", 1),
        ("Description", "CREDIT_CARD", "mask", 1),
        ("Description", "SALESFORCE_ACCESS_TOKEN", "quarantine", 1),
    }
    (quarantined,) = [e for e in sink.events if isinstance(e, RecordsQuarantined)]
    assert quarantined.finding_kinds == ("SALESFORCE_ACCESS_TOKEN",)
    assert quarantined.reason == "dlp: default"
    (filtered,) = [e for e in sink.events if isinstance(e, RecordsFiltered)]
    assert filtered.record_count == 2
    trail = json.dumps([e.to_json_dict() for e in sink.events])
    for value in ("ana@example.com", "4111", SESSION[:20], "415 555"):
        assert value not in trail


def test_the_quarantined_record_can_be_reviewed_and_released() -> None:
    sink = InMemoryAuditSink()
    cipher = EnvelopeCipher(InMemoryKeyProvider())
    pipeline = AuditPipeline(sinks=[sink])
    store = close_after_test(QuarantineStore.in_memory(cipher, audit=pipeline))
    shield = Shield(POLICY, tenant="acme", audit=pipeline, quarantine=store)
    shield.protect([_case("500000000000002AAA", f"token {SESSION}")], purpose="training")
    (entry,) = store.list(tenant="acme")
    assert entry.record_id == "500000000000002AAA"
    released = store.release(entry.id, reviewer="secops", reason="token revoked")
    assert SESSION in released["Description"]  # held whole, as the filter left it
    assert "SuppliedEmail" not in released


def test_without_a_quarantine_store_the_batch_stops_and_is_audited() -> None:
    shield, sink, _ = _shield(quarantine=None)
    with pytest.raises(QuarantineError, match="no quarantine store") as caught:
        shield.protect([_case("500000000000002AAA", f"token {SESSION}")], purpose="training")
    assert SESSION not in str(caught.value)
    (blocked,) = [e for e in sink.events if isinstance(e, OperationBlocked)]
    assert blocked.error_type == "QuarantineError"
    assert not [e for e in sink.events if isinstance(e, RecordsFiltered)]


def test_a_block_rule_stops_the_whole_batch_without_quoting_values() -> None:
    policy = _policy(
        {"fields": ["Case.Description"], "rules": [{"purposes": ["*"], "kinds": ["US_SSN"], "action": "block"}]}
    )
    shield, sink, _ = _shield(policy)
    records = [_case("500000000000001AAA", "fine"), _case("500000000000002AAA", "SSN 536-22-1234")]
    with pytest.raises(SensitiveDataBlockedError) as caught:
        shield.protect(records, purpose="inference")
    assert caught.value.kinds == ("US_SSN",)
    assert "536-22" not in str(caught.value)
    assert [e.error_type for e in sink.events if isinstance(e, OperationBlocked)] == ["SensitiveDataBlockedError"]


def test_encrypt_actions_use_the_shields_cipher_and_bind_the_record() -> None:
    policy = _policy(
        {"fields": ["Case.Description"], "rules": [{"purposes": ["*"], "kinds": ["IBAN_CODE"], "action": "encrypt"}]}
    )
    sink = InMemoryAuditSink()
    cipher = EnvelopeCipher(InMemoryKeyProvider())
    shield = Shield(policy, tenant="acme", audit=sink, encryptor=cipher)
    (record,) = shield.protect(
        [_case("500000000000001AAA", "IBAN DE89 3704 0044 0532 0130 00 please")], purpose="training"
    )
    text = str(record["Description"])
    assert "DE89" not in text and "<IBAN_CODE:sf1:" in text
    context = {
        "tenant": "acme",
        "purpose": "training",
        "sobject": "Case",
        "field": "Description",
        "record_id": "500000000000001AAA",
    }
    assert decrypt_surrogates(text, cipher=cipher, context=context) == "IBAN DE89 3704 0044 0532 0130 00 please"


def test_child_subquery_text_is_scanned_through_wildcard_patterns() -> None:
    policy = _policy({"fields": ["*.Description"]})
    shield, _, _ = _shield(policy)
    contact = {
        "attributes": {"type": "Contact"},
        "Id": "003000000000001AAA",
        "LastName": "Lopez",
        "Cases": {
            "totalSize": 1,
            "done": True,
            "records": [{"attributes": {"type": "Case"}, "Id": "500000000000001AAA", "Description": "mail bob@x.io"}],
        },
    }
    (out,) = shield.protect([contact], purpose="training")
    assert out["Cases"]["records"][0]["Description"] == "mail <EMAIL_ADDRESS_1>"


def test_refiltering_redacted_text_changes_nothing() -> None:
    shield, _, _ = _shield()
    once = shield.protect(
        [_case("500000000000001AAA", "mail ana@example.com, card 4111 1111 1111 1111")], purpose="embedding"
    )
    twice = shield.protect(once, purpose="embedding", sobject="Case")
    assert twice.records == once.records


def _nest(levels: int, leaf: dict[str, Any]) -> dict[str, Any]:
    record = leaf
    for _ in range(levels):
        record = {"attributes": {"type": "Contact"}, "Id": "003000000000001AAA", "Manager": record}
    return record


def test_text_five_parent_levels_deep_is_still_scanned() -> None:
    policy = _policy({"fields": ["*.Description"]})
    labels = {**LABELS, "*.Manager": {"sensitivity": "Internal"}}
    policy = Classification.model_validate({**policy.model_dump(), "labels": labels})
    shield, _, _ = _shield(policy)
    deep = _nest(5, {"Id": "003000000000009AAA", "Description": "card 4111 1111 1111 1111, mail ana@example.com"})
    (out,) = shield.protect(
        [{"attributes": {"type": "Case"}, "Id": "500000000000001AAA", "Contact": deep}],
        purpose="training",
        sobject="Case",
    )
    text = json.dumps(out)
    assert "4111 1111" not in text and "ana@example.com" not in text


def test_text_inside_a_kept_list_is_scanned() -> None:
    shield, _, _ = _shield()
    guard = shield._guard  # the list shape never comes from Salesforce; drive the guard directly
    assert guard is not None
    records = [{"Id": "500000000000001AAA", "Description": ["card 4111 1111 1111 1111", "fine"]}]
    guard.apply(records, ["Case"], purpose="training")
    assert records[0]["Description"][0] == "card ***************1111"


class _NotingScanner(Scanner):
    """A real scanner that also notes the field name it is given with each text."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str | None] = []

    def scan(self, text: str, /, *, field: str | None = None) -> Any:
        self.fields.append(field)
        return super().scan(text, field=field)


def test_a_dotted_csv_column_is_scanned_as_its_parent_field() -> None:
    """A Bulk CSV column Account.Description is scanned under the field name Description, reported under its column."""
    scanner = _NotingScanner()
    shield, sink, _ = _shield(_policy({"fields": ["*.Description"]}), scanner=scanner)
    row = {"Id": "003000000000001AAA", "Account.Description": "mail bob@x.io"}
    (out,) = shield.protect([row], purpose="training", sobject="Contact")
    assert out["Account.Description"] == "mail <EMAIL_ADDRESS_1>"
    assert scanner.fields == ["Description"]
    (scanned,) = [e for e in sink.events if isinstance(e, TextScanned)]
    assert [(f.path, f.kind) for f in scanned.findings] == [("Account.Description", "EMAIL_ADDRESS")]


def test_a_field_name_is_scanned_only_on_the_objects_the_policy_names() -> None:
    """With Case.Description listed, a Contact's Description passes as it is while its Cases' are redacted."""
    shield, _, _ = _shield(_policy({"fields": ["Case.Description"]}))
    case = {"attributes": {"type": "Case"}, "Id": "500000000000001AAA", "Description": "mail bob@x.io"}
    contact = {
        "attributes": {"type": "Contact"},
        "Id": "003000000000001AAA",
        "Description": "mail bob@x.io",
        "Cases": {"totalSize": 2, "done": True, "records": [case, {**case, "Id": "500000000000002AAA"}]},
    }
    first, second = shield.protect([contact, {**contact, "Id": "003000000000002AAA"}], purpose="training")
    for out in (first, second):
        assert out["Description"] == "mail bob@x.io"
        assert [row["Description"] for row in out["Cases"]["records"]] == ["mail <EMAIL_ADDRESS_1>"] * 2


# -- a scanner you give must find what the policy asks for ----------------------------------------------------------

_STRICT = {"fields": ["*.Description"], "dictionary": ["Project Falcon"], "allow": ["help@acme.example"]}


@pytest.mark.parametrize(
    ("scanner", "problem"),
    [
        (Scanner(allow=["help@acme.example"]), "lacks 1 of the policy's 1 dictionary terms"),
        (Scanner(dictionary=["project falcon "], allow=["help@acme.example", "ana@x.io"]), "allow-lists 1 value"),
        (
            Scanner(dictionary=["Project Falcon"], min_confidence=Confidence.VERY_LIKELY),
            "reports from VERY_LIKELY up, the policy from POSSIBLE up",
        ),
    ],
)
def test_a_scanner_that_would_find_less_than_the_policy_is_refused(scanner: Scanner, problem: str) -> None:
    """Missing dictionary terms, a wider allow-list or a higher threshold would pass text the policy stops."""
    with pytest.raises(ConfigurationError, match=problem) as caught:
        _shield(_policy(_STRICT), scanner=scanner)
    assert "Scanner.for_policy" in str(caught.value)
    assert "Falcon" not in str(caught.value) and "ana@x.io" not in str(caught.value)  # counted, never named


def test_scanner_for_policy_keeps_the_policy_and_adds_detectors() -> None:
    """Scanner.for_policy: the policy's terms, allow-list and threshold, plus your detectors, accepted by Shield."""

    def ticket_ids(text: str) -> list[Finding]:
        start = text.find("TKT-")
        return [Finding(start, start + 10, "TICKET_ID", Confidence.LIKELY, "tickets")] if start >= 0 else []

    policy = _policy(_STRICT)
    assert policy.dlp is not None
    scanner = Scanner.for_policy(policy.dlp, detectors=[ticket_ids])
    shield, _, _ = _shield(policy, scanner=scanner)
    record = _case("500000000000001AAA", "Project Falcon slips; see TKT-123456, write to help@acme.example")
    (out,) = shield.protect([record], purpose="embedding")
    assert out["Description"] == "<IP_MARKER_1> slips; see <TICKET_ID_1>, write to help@acme.example"
    _shield(policy, scanner=Scanner(dictionary=["PROJECT FALCON"], min_confidence=Confidence.UNLIKELY))  # finds more


def test_with_policy_takes_a_scanner_for_the_new_policy() -> None:
    """A Shield given its own scanner moves to a policy with more dictionary terms only with a scanner for it."""
    old, new = _policy(_STRICT), _policy({**_STRICT, "dictionary": ["Project Falcon", "Nightjar"]})
    assert old.dlp is not None and new.dlp is not None
    shield, _, _ = _shield(old, scanner=Scanner.for_policy(old.dlp))
    with pytest.raises(ConfigurationError, match="lacks 1 of the policy's 2 dictionary terms"):
        shield.with_policy(new)
    moved = shield.with_policy(new, scanner=Scanner.for_policy(new.dlp))
    (out,) = moved.protect([_case("500000000000001AAA", "Nightjar ships")], purpose="embedding")
    assert out["Description"] == "<IP_MARKER_1> ships"


def test_a_scanner_keeps_its_threshold_and_needs_a_dlp_section() -> None:
    scanner = Scanner.for_policy(_policy(_STRICT).dlp)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        scanner.min_confidence = Confidence.VERY_LIKELY  # type: ignore[misc]
    with pytest.raises(TypeError, match="this policy has none"):
        Scanner.for_policy(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dictionary terms must not be empty"):
        _policy({**_STRICT, "dictionary": ["Falcon", "  "]})
