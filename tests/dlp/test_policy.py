"""The dlp section of a policy: which text fields are scanned, which action each finding gets, strictest wins."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sfshield.classification import Classification
from sfshield.dlp import Confidence
from sfshield.dlp.policy import DlpPolicy, TextAction

POLICY = DlpPolicy.model_validate(
    {
        "fields": ["Case.Description", "*.NextStep"],
        "min_confidence": "likely",
        "rules": [
            {"name": "secrets", "purposes": ["*"], "kinds": "secret", "action": "quarantine"},
            {"purposes": ["embedding"], "kinds": ["EMAIL_ADDRESS", "PHONE_NUMBER"], "action": "mask", "keep_last": 2},
            {"name": "pii-rag", "purposes": ["embedding"], "kinds": "personal", "action": "placeholder"},
            {"purposes": ["analytics"], "kinds": "*", "action": "allow"},
        ],
    }
)


@pytest.mark.parametrize(
    ("kind", "purpose", "action", "rule"),
    [
        ("SALESFORCE_ACCESS_TOKEN", "analytics", TextAction.QUARANTINE, "secrets"),  # strictest wins over allow
        ("EMAIL_ADDRESS", "embedding", TextAction.PLACEHOLDER, "pii-rag"),  # placeholder is stricter than mask
        ("EMAIL_ADDRESS", "training", TextAction.PLACEHOLDER, "default"),  # uncovered personal data
        ("GENERIC_SECRET", "training", TextAction.QUARANTINE, "secrets"),
        ("IP_MARKER", "analytics", TextAction.ALLOW, "dlp.rules[3]"),
        ("CUSTOM_THING", "training", TextAction.PLACEHOLDER, "default"),
    ],
)
def test_strictest_rule_wins_and_defaults_fail_closed(kind: str, purpose: str, action: TextAction, rule: str) -> None:
    decision = POLICY.decide(kind, purpose)
    assert (decision.action, decision.rule) == (action, rule)


def test_uncovered_secrets_are_quarantined_by_default() -> None:
    assert DlpPolicy().decide("SALESFORCE_REFRESH_TOKEN", "inference").action is TextAction.QUARANTINE
    assert TextAction.QUARANTINE.holds_back
    assert TextAction.BLOCK.holds_back
    assert not TextAction.ENCRYPT.holds_back


def test_field_patterns_and_confidence_names() -> None:
    assert POLICY.scans("Case", "description")
    assert POLICY.scans("Opportunity", "NextStep")
    assert not POLICY.scans("Contact", "Description")
    assert POLICY.min_confidence is Confidence.LIKELY


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fields": ["Description"]}, "Object.Field"),
        ({"min_confidence": "sure"}, "min_confidence"),
        ({"rules": [{"purposes": ["*"], "kinds": ["email"], "action": "mask"}]}, "UPPER_CASE"),
        ({"rules": [{"purposes": ["*"], "kinds": ["*"], "action": "shred"}]}, "action"),
        ({"rules": [{"purposes": ["*"], "kinds": ["*"], "action": "mask", "keep_last": 9}]}, "keep_last"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_invalid_sections_are_refused_with_a_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DlpPolicy.model_validate(data)


def test_the_policy_checks_dlp_purposes_and_hashes_the_section() -> None:
    base = {"version": "1", "labels": {"*.Id": {"sensitivity": "Public"}}}
    with pytest.raises(ValidationError, match="embeding"):
        Classification.model_validate(
            {**base, "dlp": {"rules": [{"purposes": ["embeding"], "kinds": "*", "action": "mask"}]}}
        )
    plain = Classification.model_validate(base)
    scanned = Classification.model_validate({**base, "dlp": {"fields": ["Case.Description"]}})
    assert plain.sha256 != scanned.sha256


def test_a_broad_allow_rule_never_lets_credentials_through() -> None:
    policy = DlpPolicy.model_validate({"rules": [{"purposes": ["*"], "kinds": "*", "action": "allow"}]})
    assert policy.decide("EMAIL_ADDRESS", "training").action is TextAction.ALLOW
    decision = policy.decide("SALESFORCE_ACCESS_TOKEN", "training")
    assert decision.action is TextAction.QUARANTINE
    assert "never allowed" in decision.rule
