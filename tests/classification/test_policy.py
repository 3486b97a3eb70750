from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from sfshield.classification import (
    STANDARD_RELATIONSHIPS,
    Action,
    Classification,
    Decision,
    DecisionReason,
    FieldLabel,
    Purpose,
    Rule,
    Sensitivity,
)
from sfshield.exceptions import ClassificationError, ConfigurationError, ShieldError, UnknownPurposeError

KNOWN_LEVELS = [level.value for level in Sensitivity]
OBJECTS = ["Contact", "Account"]
FIELDS = ["Email", "Phone", "Name"]
LABEL_KEYS = [f"{obj}.{field}" for obj in OBJECTS for field in FIELDS] + [f"*.{field}" for field in FIELDS]
PATTERNS = ["Contact.Email", "*.Phone", "Account.*", "contact.name"]
PURPOSES = ["inference", "training", "embedding"]

KEEP_LOW_DROP_HIGH = [
    {"name": "keep-low", "purposes": ["*"], "action": "keep", "max_sensitivity": "Internal"},
    {"name": "drop-high", "purposes": ["*"], "action": "drop", "min_sensitivity": "Restricted"},
]


def _policy(
    labels: dict[str, Any] | None = None, rules: list[dict[str, Any]] | None = None, **extra: Any
) -> Classification:
    return Classification.model_validate({"version": "1", "labels": labels or {}, "rules": rules or [], **extra})


def _rule(action: str, **conditions: Any) -> dict[str, Any]:
    return {"purposes": ["*"], "action": action, **conditions}


label_dicts = st.fixed_dictionaries(
    {"sensitivity": st.sampled_from([*KNOWN_LEVELS, "TopSecret", None])},
    optional={
        "compliance": st.lists(st.sampled_from(["PII", "GDPR"]), max_size=2),
        "tags": st.lists(st.just("ip"), max_size=1),
        "kind": st.just("email"),
    },
)


@st.composite
def rule_dicts(draw: st.DrawFn, *, with_fields: bool = True) -> dict[str, Any]:
    action = draw(st.sampled_from([action.value for action in Action]))
    rule: dict[str, Any] = {
        "purposes": draw(st.lists(st.sampled_from([*PURPOSES, "*"]), min_size=1, max_size=2)),
        "action": action,
    }
    conditions: dict[str, Any] = {
        "sensitivity": st.lists(st.sampled_from(KNOWN_LEVELS), min_size=1, max_size=2),
        "min_sensitivity": st.sampled_from(KNOWN_LEVELS),
        "max_sensitivity": st.sampled_from(KNOWN_LEVELS),
        "compliance": st.lists(st.sampled_from(["PII", "GDPR", "pii"]), min_size=1, max_size=2),
        "tags": st.just(["ip"]),
    }
    if with_fields:
        conditions["fields"] = st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2)
    rule.update(draw(st.fixed_dictionaries({}, optional=conditions)))
    if action == "mask":
        rule["keep_last"] = draw(st.integers(0, 8))
    return rule


label_maps = st.dictionaries(st.sampled_from(LABEL_KEYS), label_dicts, max_size=6)
policy_dicts = st.fixed_dictionaries(
    {"version": st.just("1"), "labels": label_maps, "rules": st.lists(rule_dicts(), max_size=6)}
)
sobjects = st.sampled_from([*OBJECTS, "Lead"])
fields = st.sampled_from([*FIELDS, "Fax"])
purposes = st.sampled_from(PURPOSES)


@st.composite
def decision_cases(draw: st.DrawFn) -> tuple[dict[str, Any], str, str, str]:
    """A policy and a field and purpose to decide, usually a field the policy labels (directly or via *.Field)."""
    data = {
        "version": "1",
        "labels": draw(st.dictionaries(st.sampled_from(LABEL_KEYS), label_dicts, min_size=1, max_size=6)),
        "rules": draw(st.lists(rule_dicts(), min_size=1, max_size=6)),
    }
    sobject, field = draw(sobjects), draw(fields)
    if draw(st.integers(0, 3)):
        labelled_object, field = draw(st.sampled_from(sorted(data["labels"]))).split(".")
        sobject = sobject if labelled_object == "*" else labelled_object
    return data, sobject, field, draw(purposes)


def _matching(policy: Classification, sobject: str, field: str, purpose: str) -> list[Rule]:
    label = policy.label_for(sobject, field)
    assert label is not None
    return [rule for rule in policy.rules if rule.applies_to(purpose) and rule.matches(sobject, field, label)]


def _reversed(mapping: dict[str, Any]) -> dict[str, Any]:
    return dict(reversed(list(mapping.items())))


def _shuffled(item: dict[str, Any]) -> dict[str, Any]:
    """Reverse the key order of a label or rule and the order of every list in it."""
    return _reversed({name: value[::-1] if isinstance(value, list) else value for name, value in item.items()})


class TestDecide:
    def test_an_unlabelled_field_is_dropped_even_under_a_catch_all_keep_rule(self) -> None:
        """A field with no label is dropped as unlabelled, whatever the rules say."""
        policy = _policy({"Contact.Email": {"sensitivity": "Public"}}, [_rule("keep")])
        assert policy.decide("Contact", "Phone", "inference") == Decision(Action.DROP, DecisionReason.UNLABELLED)

    def test_an_empty_label_counts_as_unlabelled(self) -> None:
        """A label with no level, group or tag is treated like no label at all."""
        policy = _policy({"Contact.Email": {"kind": "email"}}, [_rule("keep")])
        assert policy.decide("Contact", "Email", "inference").reason is DecisionReason.UNLABELLED

    def test_a_labelled_field_without_a_matching_rule_is_dropped_as_uncovered(self) -> None:
        """A labelled field that no rule covers is dropped as uncovered, and its kind is reported."""
        policy = _policy(
            {"Contact.Email": {"sensitivity": "Confidential", "kind": "email"}},
            [{"purposes": ["training"], "action": "keep"}],
        )
        decision = policy.decide("Contact", "Email", "inference")
        assert decision == Decision(Action.DROP, DecisionReason.UNCOVERED, kind="email")

    def test_a_rule_without_conditions_covers_every_labelled_field(self) -> None:
        """A rule that sets no condition matches any labelled field for its purposes."""
        policy = _policy({"Contact.Email": {"tags": ["ip"]}}, [{"name": "all", "purposes": ["sync"], "action": "keep"}])
        assert policy.decide("Contact", "Email", "sync") == Decision(Action.KEEP, DecisionReason.RULE, "all")

    def test_the_strictest_matching_action_wins(self) -> None:
        """When several rules match, the most protective action is chosen, whatever the rule order."""
        rules = [
            _rule("keep", name="keep"),
            _rule("encrypt", name="encrypt", compliance=["PII"]),
            _rule("mask", name="mask"),
            _rule("pseudonymize", name="pseudo"),
        ]
        for ordered in (rules, rules[::-1]):
            policy = _policy({"Contact.Email": {"compliance": "PII"}}, ordered)
            assert policy.decide("Contact", "Email", "inference").rule == "encrypt"

    def test_unnamed_rules_are_reported_by_position(self) -> None:
        """A rule without a name is reported as rules[index]."""
        policy = _policy({"Contact.Email": {"sensitivity": "Public"}}, [_rule("drop", tags=["x"]), _rule("keep")])
        assert policy.decide("Contact", "Email", "inference").rule == "rules[1]"

    def test_equally_strict_rules_report_the_first(self) -> None:
        """Among rules with the same action, the first one in the file is reported."""
        policy = _policy(
            {"Contact.Email": {"sensitivity": "Public"}}, [_rule("keep", name="a"), _rule("keep", name="b")]
        )
        assert policy.decide("Contact", "Email", "inference").rule == "a"

    def test_a_field_specific_rule_overrides_label_rules(self) -> None:
        """A rule naming the field wins over a stricter label rule; other fields still follow the label rules."""
        policy = _policy(
            {"Contact.Email": {"compliance": "PII"}, "Contact.Phone": {"compliance": "PII"}},
            [
                _rule("drop", name="no-pii", compliance=["PII"]),
                _rule("keep", name="email-ok", fields=["Contact.Email"]),
            ],
        )
        assert policy.decide("Contact", "Email", "inference") == Decision(Action.KEEP, DecisionReason.RULE, "email-ok")
        assert policy.decide("Contact", "Phone", "inference").rule == "no-pii"

    def test_the_strictest_field_specific_rule_wins(self) -> None:
        """When several field-specific rules match, the most protective one wins among them."""
        policy = _policy(
            {"Contact.Email": {"sensitivity": "Public"}},
            [
                _rule("keep", name="general"),
                _rule("keep", name="exact", fields=["Contact.Email"]),
                _rule("mask", name="wild", fields=["*.Email"], keep_last=3),
            ],
        )
        assert policy.decide("Contact", "Email", "inference") == Decision(Action.MASK, DecisionReason.RULE, "wild", 3)

    @pytest.mark.parametrize("pattern", ["Contact.Email", "*.Email", "Contact.*", "*.*", "CONTACT.email"])
    def test_field_patterns_match_object_and_field_wildcards_in_any_case(self, pattern: str) -> None:
        """A fields pattern matches by object and field name, with * for either part, ignoring case."""
        policy = _policy({"Contact.Email": {"sensitivity": "Restricted"}}, [_rule("keep", fields=[pattern])])
        assert policy.decide("Contact", "Email", "inference").action is Action.KEEP

    def test_a_field_specific_rule_must_still_match_the_label(self) -> None:
        """A rule with fields and a label condition applies only when both hold."""
        policy = _policy(
            {"Contact.Email": {"sensitivity": "Restricted"}},
            [_rule("drop", name="label"), _rule("keep", name="exact", fields=["Contact.Email"], compliance=["PII"])],
        )
        assert policy.decide("Contact", "Email", "inference").rule == "label"

    def test_mask_ties_prefer_the_smaller_keep_last(self) -> None:
        """Among matching mask rules, the one keeping fewer characters wins, whatever the order."""
        rules = [_rule("mask", name="four", keep_last=4), _rule("mask", name="two", keep_last=2)]
        for ordered in (rules, rules[::-1]):
            decision = _policy({"Contact.Phone": {"sensitivity": "Internal"}}, ordered).decide(
                "Contact", "Phone", "inference"
            )
            assert (decision.rule, decision.keep_last) == ("two", 2)

    @pytest.mark.parametrize("purpose", [*Purpose, "support"])
    def test_star_purposes_apply_to_every_purpose(self, purpose: str) -> None:
        """A rule for purposes ["*"] applies to built-in and declared purposes alike."""
        policy = _policy({"Contact.Email": {"sensitivity": "Public"}}, [_rule("keep")], purposes=["support"])
        assert policy.decide("Contact", "Email", purpose).action is Action.KEEP

    def test_rules_apply_only_to_the_purposes_they_name(self) -> None:
        """A rule for training does not cover inference."""
        policy = _policy({"Contact.Email": {"sensitivity": "Public"}}, [{"purposes": ["training"], "action": "keep"}])
        assert policy.decide("Contact", "Email", "training").action is Action.KEEP
        assert policy.decide("Contact", "Email", "inference").reason is DecisionReason.UNCOVERED

    def test_an_unknown_purpose_raises_naming_the_known_ones(self) -> None:
        """Asking for an undeclared purpose raises UnknownPurposeError listing every purpose the policy accepts."""
        policy = _policy({"Contact.Email": {"sensitivity": "Public"}}, [_rule("keep")], purposes=["support"])
        with pytest.raises(UnknownPurposeError) as caught:
            policy.decide("Contact", "Email", "marketing")
        message = str(caught.value)
        assert "'marketing'" in message
        for known in [*Purpose, "support"]:
            assert known in message
        assert caught.value.known == (*Purpose, "support")

    def test_an_unknown_purpose_raises_even_for_an_unlabelled_field(self) -> None:
        """The purpose is checked before the field, so a typo never looks like a plain drop."""
        with pytest.raises(UnknownPurposeError):
            _policy().decide("Contact", "Nothing", "trainig")

    def test_purposes_are_matched_exactly(self) -> None:
        """A purpose in the wrong case is unknown rather than silently matched."""
        with pytest.raises(UnknownPurposeError):
            _policy().decide("Contact", "Email", "Inference")

    def test_declared_custom_purposes_are_accepted(self) -> None:
        """A purpose declared under purposes can be asked for and matched by rules."""
        policy = _policy(
            {"Contact.Email": {"sensitivity": "Public"}},
            [{"purposes": ["support"], "action": "mask", "keep_last": 4}],
            purposes=["support"],
        )
        assert policy.decide("Contact", "Email", "support") == Decision(Action.MASK, DecisionReason.RULE, "rules[0]", 4)

    def test_purpose_enum_members_are_accepted(self) -> None:
        """A Purpose member works like its string value."""
        policy = _policy({"Contact.Email": {"sensitivity": "Public"}}, [{"purposes": ["embedding"], "action": "keep"}])
        assert policy.decide("Contact", "Email", Purpose.EMBEDDING).action is Action.KEEP

    def test_a_wildcard_label_applies_to_every_object(self) -> None:
        """A *.Field label labels that field on any object without an exact label."""
        policy = _policy({"*.Email": {"compliance": "PII"}}, [_rule("pseudonymize", compliance=["PII"])])
        assert policy.decide("Lead", "Email", "inference").action is Action.PSEUDONYMIZE
        assert policy.label_for("Lead", "Email") == FieldLabel(compliance="PII")

    def test_an_exact_label_is_preferred_to_a_wildcard_label(self) -> None:
        """Object.Field is looked up before *.Field."""
        policy = _policy(
            {"*.Email": {"sensitivity": "Restricted"}, "Contact.Email": {"sensitivity": "Restricted", "tags": ["x"]}}
        )
        assert policy.label_for("Contact", "Email") == FieldLabel(sensitivity="Restricted", tags=["x"])

    def test_field_lookup_ignores_case(self) -> None:
        """Object and field names are matched without regard to case."""
        policy = _policy({"Contact.Email": {"sensitivity": "Public"}, "*.Phone": {"tags": ["x"]}}, [_rule("keep")])
        assert policy.decide("contact", "EMAIL", "inference").action is Action.KEEP
        assert policy.decide("LEAD", "phone", "inference").action is Action.KEEP

    def test_compliance_and_tag_conditions_ignore_case(self) -> None:
        """A rule for 'pii' matches a label in group 'PII', and tags likewise."""
        policy = _policy(
            {"Contact.Email": {"compliance": "PII"}, "Account.Terms__c": {"tags": ["Commercial"]}},
            [_rule("drop", compliance=["pii"]), _rule("encrypt", tags=["commercial"])],
        )
        assert policy.decide("Contact", "Email", "inference").action is Action.DROP
        assert policy.decide("Account", "Terms__c", "inference").action is Action.ENCRYPT

    def test_conditions_are_anded_and_list_entries_ored(self) -> None:
        """Every condition must hold, and one listed group is enough for a compliance condition."""
        policy = _policy(
            {
                "Contact.Email": {"sensitivity": "Confidential", "compliance": "GDPR"},
                "Contact.Phone": {"compliance": "GDPR"},
            },
            [_rule("encrypt", compliance=["PII", "GDPR"], max_sensitivity="Confidential")],
        )
        assert policy.decide("Contact", "Email", "inference").action is Action.ENCRYPT
        assert policy.decide("Contact", "Phone", "inference").reason is DecisionReason.UNCOVERED

    @pytest.mark.parametrize(
        ("level", "action"), [(lvl, "keep") for lvl in KNOWN_LEVELS[:2]] + [(lvl, "drop") for lvl in KNOWN_LEVELS[3:]]
    )
    def test_sensitivity_bounds_are_inclusive(self, level: str, action: str) -> None:
        """max_sensitivity and min_sensitivity include the level they name."""
        policy = _policy({"Contact.Email": {"sensitivity": level}}, KEEP_LOW_DROP_HIGH)
        assert policy.decide("Contact", "Email", "inference").action == action

    def test_a_middle_level_between_bounds_is_uncovered(self) -> None:
        """A level neither rule bounds is left uncovered and dropped."""
        policy = _policy({"Contact.Email": {"sensitivity": "Confidential"}}, KEEP_LOW_DROP_HIGH)
        assert policy.decide("Contact", "Email", "inference").reason is DecisionReason.UNCOVERED

    def test_an_unknown_level_is_not_kept_by_a_mission_critical_ceiling(self) -> None:
        """A keep rule with max_sensitivity MissionCritical does not keep an org-custom level like TopSecret."""
        policy = _policy(
            {"Contact.Email": {"sensitivity": "TopSecret"}},
            [_rule("keep", max_sensitivity="MissionCritical")],
        )
        assert policy.decide("Contact", "Email", "inference") == Decision(Action.DROP, DecisionReason.UNCOVERED)

    def test_an_unknown_level_is_caught_by_a_restricted_floor(self) -> None:
        """A drop rule with min_sensitivity Restricted catches an org-custom level like TopSecret."""
        policy = _policy(
            {"Contact.Email": {"sensitivity": "TopSecret"}},
            [_rule("keep", name="keep-all"), _rule("drop", name="drop-high", min_sensitivity="Restricted")],
        )
        assert policy.decide("Contact", "Email", "inference").rule == "drop-high"

    def test_a_label_without_a_level_is_treated_as_most_sensitive(self) -> None:
        """A label with groups but no level is not kept by a ceiling and is caught by a floor."""
        policy = _policy({"Contact.Email": {"compliance": "PII"}}, KEEP_LOW_DROP_HIGH)
        assert policy.decide("Contact", "Email", "inference").rule == "drop-high"

    def test_a_sensitivity_list_matches_exact_levels(self) -> None:
        """A rule with sensitivity = [...] matches labels at those levels only."""
        policy = _policy(
            {"Contact.Email": {"sensitivity": "Confidential"}, "Contact.Phone": {"sensitivity": "Restricted"}},
            [_rule("mask", sensitivity=["Confidential", "Internal"])],
        )
        assert policy.decide("Contact", "Email", "inference").action is Action.MASK
        assert policy.decide("Contact", "Phone", "inference").reason is DecisionReason.UNCOVERED

    def test_a_sensitivity_list_matches_levels_in_any_case(self) -> None:
        """A rule listing sensitivity = ["confidential"] matches a Confidential label, as min/max bounds do.

        Labels canonicalise 'confidential' to 'Confidential' but Rule.sensitivity does not, so a lower-case drop
        rule silently never matches and a broader keep rule wins (fail open).
        """
        policy = _policy(
            {"Contact.Email": {"sensitivity": "confidential"}},
            [_rule("keep"), _rule("drop", name="no-confidential", sensitivity=["confidential"])],
        )
        assert policy.decide("Contact", "Email", "inference").rule == "no-confidential"

    def test_labels_differing_only_in_case_never_let_the_less_sensitive_win(self) -> None:
        """Two label keys that differ only in case are rejected or merged, never resolved to the looser one."""
        data = {
            "version": "1",
            "labels": {"Contact.Email": {"sensitivity": "Restricted"}, "contact.email": {"sensitivity": "Public"}},
            "rules": KEEP_LOW_DROP_HIGH,
        }
        try:
            policy = Classification.model_validate(data)
        except ValidationError:
            return
        assert policy.decide("Contact", "Email", "inference").action is Action.DROP

    def test_the_label_kind_is_reported(self) -> None:
        """The decision carries the label's kind so masking and pseudonyms can use it."""
        policy = _policy({"Contact.Phone": {"sensitivity": "Internal", "kind": "phone"}}, [_rule("mask", keep_last=2)])
        assert policy.decide("Contact", "Phone", "inference").kind == "phone"


class TestDecideProperties:
    @given(decision_cases())
    def test_keep_needs_a_label_and_a_matching_keep_rule(self, case: tuple[dict[str, Any], str, str, str]) -> None:
        """decide() keeps a field only if it has a non-empty label and some matching rule says keep."""
        data, sobject, field, purpose = case
        policy = Classification.model_validate(data)
        decision = policy.decide(sobject, field, purpose)
        if decision.action is Action.KEEP:
            label = policy.label_for(sobject, field)
            assert label is not None
            assert not label.is_empty
            assert any(rule.action is Action.KEEP for rule in _matching(policy, sobject, field, purpose))

    @given(decision_cases())
    def test_never_looser_than_the_strictest_general_rule(self, case: tuple[dict[str, Any], str, str, str]) -> None:
        """Without a matching field-specific rule, the action is at least as strict as every matching rule."""
        data, sobject, field, purpose = case
        policy = Classification.model_validate(data)
        decision = policy.decide(sobject, field, purpose)
        if policy.label_for(sobject, field) is None:
            assert decision == Decision(Action.DROP, DecisionReason.UNLABELLED)
            return
        matching = _matching(policy, sobject, field, purpose)
        if not matching:
            assert (decision.action, decision.reason) == (Action.DROP, DecisionReason.UNCOVERED)
        elif not any(rule.fields for rule in matching):
            assert decision.action.strictness == max(rule.action.strictness for rule in matching)

    @given(decision_cases(), rule_dicts(with_fields=False))
    def test_adding_a_label_rule_never_loosens_a_rule_decision(
        self, case: tuple[dict[str, Any], str, str, str], extra_rule: dict[str, Any]
    ) -> None:
        """Appending a rule without fields never makes a rule-based decision less protective."""
        data, sobject, field, purpose = case
        before = Classification.model_validate(data).decide(sobject, field, purpose)
        after = Classification.model_validate({**data, "rules": [*data["rules"], extra_rule]}).decide(
            sobject, field, purpose
        )
        if before.reason is DecisionReason.RULE:
            assert after.action.strictness >= before.action.strictness


class TestKnownPurposes:
    def test_built_ins_come_first_then_declared_purposes(self) -> None:
        """known_purposes lists the built-in purposes, then the policy's own, without repeating a built-in."""
        policy = _policy(purposes=["support", "training", "audit"])
        assert policy.known_purposes == (*Purpose, "audit", "support")

    def test_check_purpose_returns_a_plain_string(self) -> None:
        """check_purpose returns the purpose as a str for known purposes."""
        checked = _policy().check_purpose(Purpose.SYNC)
        assert checked == "sync"
        assert type(checked) is str


class TestUnknownPurposeError:
    def test_is_a_configuration_error(self) -> None:
        """UnknownPurposeError is caught by except ConfigurationError and except ShieldError."""
        assert issubclass(UnknownPurposeError, ConfigurationError)
        assert issubclass(UnknownPurposeError, ShieldError)

    def test_message_says_what_to_do(self) -> None:
        """The message names the purpose, the known ones and how to declare a new one."""
        error = UnknownPurposeError("marketing", ("inference", "support"))
        assert (error.purpose, error.known) == ("marketing", ("inference", "support"))
        assert str(error) == (
            "unknown purpose 'marketing': use one of inference, support, "
            "or declare it under `purposes` in the policy file"
        )


class TestTargetOf:
    def test_the_policy_relationships_table_wins(self) -> None:
        """A relationship named in the policy resolves to its target, case-insensitively, over the standard one."""
        policy = _policy(relationships={"Case.Owner": "Group", "Contact.Employer__r": "Account"})
        assert policy.target_of("case", "OWNER") == "Group"
        assert policy.target_of("Contact", "Employer__r") == "Account"

    def test_standard_relationships_are_the_fallback(self) -> None:
        """Standard lookups resolve from STANDARD_RELATIONSHIPS when the policy says nothing."""
        assert _policy().target_of("Case", "Owner") == STANDARD_RELATIONSHIPS["Owner"] == "User"

    def test_parent_points_to_the_same_object(self) -> None:
        """Parent resolves to the object itself unless the policy says otherwise."""
        assert _policy().target_of("Account", "Parent") == "Account"
        assert _policy(relationships={"Account.Parent": "Holding__c"}).target_of("Account", "Parent") == "Holding__c"

    def test_unknown_relationships_resolve_to_none(self) -> None:
        """A relationship nobody describes resolves to None."""
        assert _policy().target_of("Contact", "Mystery__r") is None


class TestSha256:
    def test_is_the_sha256_of_canonical_json(self) -> None:
        """The hash is the hex sha256 of the policy dumped as compact JSON with sorted keys."""
        policy = _policy({"Contact.Email": {"sensitivity": "Public"}}, [_rule("keep")])
        canonical = json.dumps(policy.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        assert policy.sha256 == hashlib.sha256(canonical.encode()).hexdigest()

    @given(policy_dicts)
    def test_is_stable_under_reordering_of_keys_and_lists(self, data: dict[str, Any]) -> None:
        """Building the same policy from dicts with other key orders and list orders gives the same hash."""
        reordered = _reversed(
            {
                **data,
                "labels": {key: _shuffled(label) for key, label in _reversed(data["labels"]).items()},
                "rules": [_shuffled(rule) for rule in data["rules"]],
            }
        )
        first, second = Classification.model_validate(data), Classification.model_validate(reordered)
        assert first == second
        assert first.sha256 == second.sha256

    def test_semicolon_strings_and_lists_hash_alike(self) -> None:
        """A ;-joined compliance string and the equivalent list give the same policy and hash."""
        first = _policy({"Contact.Email": {"compliance": "PII;GDPR"}})
        second = _policy({"Contact.Email": {"compliance": ["GDPR", "PII"]}})
        assert first.sha256 == second.sha256

    @given(policy_dicts.filter(lambda data: bool(data["labels"])), st.data())
    def test_changes_when_a_label_changes(self, data: dict[str, Any], draws: st.DataObject) -> None:
        """Changing the level of any label changes the hash."""
        before = Classification.model_validate(data)
        key = draws.draw(st.sampled_from(sorted(data["labels"])))
        current = before.labels[key].sensitivity
        level = draws.draw(st.sampled_from([lvl for lvl in [*KNOWN_LEVELS, "TopSecret"] if lvl != current]))
        changed = copy.deepcopy(data)
        changed["labels"][key]["sensitivity"] = level
        assert Classification.model_validate(changed).sha256 != before.sha256

    @given(policy_dicts.filter(lambda data: bool(data["rules"])), st.data())
    def test_changes_when_a_rule_changes(self, data: dict[str, Any], draws: st.DataObject) -> None:
        """Changing the action of any rule changes the hash."""
        before = Classification.model_validate(data)
        index = draws.draw(st.integers(0, len(data["rules"]) - 1))
        action = draws.draw(st.sampled_from([a.value for a in Action if a.value != data["rules"][index]["action"]]))
        changed = copy.deepcopy(data)
        changed["rules"][index]["action"] = action
        changed["rules"][index].pop("keep_last", None)
        assert Classification.model_validate(changed).sha256 != before.sha256

    @pytest.mark.parametrize(
        "change",
        [
            {"version": "2"},
            {"description": "now with notes"},
            {"purposes": ["support"]},
            {"relationships": {"Case.Owner": "Group"}},
            {"labels": {"Contact.Email": {"sensitivity": "Public"}, "Contact.Phone": {"tags": ["x"]}}},
            {"rules": [_rule("keep"), _rule("drop", tags=["x"])]},
        ],
    )
    def test_changes_with_any_part_of_the_policy(self, change: dict[str, Any]) -> None:
        """Version, description, purposes, relationships, labels and rules all enter the hash."""
        base = {"version": "1", "labels": {"Contact.Email": {"sensitivity": "Public"}}, "rules": [_rule("keep")]}
        assert Classification.model_validate({**base, **change}).sha256 != Classification.model_validate(base).sha256

    def test_computing_the_hash_does_not_affect_equality(self) -> None:
        """A policy whose hash was read still equals an identical one whose hash was not."""
        first, second = _policy(), _policy()
        assert first.sha256
        assert first == second


class TestWithLabels:
    @given(label_maps, st.dictionaries(st.sampled_from([*LABEL_KEYS, "contact.email", "ACCOUNT.PHONE"]), label_dicts))
    def test_never_lowers_a_level_or_loses_a_group(self, base: dict[str, Any], incoming: dict[str, Any]) -> None:
        """Every label that had a level keeps at least that rank, and no compliance group or tag is lost."""
        policy = _policy(base)
        merged = policy.with_labels({key: FieldLabel.model_validate(label) for key, label in incoming.items()})
        for key, label in policy.labels.items():
            after = merged.labels[key]
            if label.sensitivity is not None:
                assert after.rank >= label.rank
            assert set(after.compliance) >= set(label.compliance)
            assert set(after.tags) >= set(label.tags)

    @given(label_maps, st.dictionaries(st.sampled_from(LABEL_KEYS), label_dicts))
    def test_incoming_levels_are_never_lowered_either(self, base: dict[str, Any], incoming: dict[str, Any]) -> None:
        """Every incoming label with a level is at least as sensitive in the result."""
        merged = _policy(base).with_labels({key: FieldLabel.model_validate(label) for key, label in incoming.items()})
        for key, raw in incoming.items():
            label = FieldLabel.model_validate(raw)
            if label.sensitivity is not None:
                assert merged.labels[key].rank >= label.rank

    @given(label_maps, st.dictionaries(st.sampled_from(LABEL_KEYS), label_dicts))
    def test_the_hash_changes_exactly_when_labels_change(self, base: dict[str, Any], incoming: dict[str, Any]) -> None:
        """The result has a new sha256 when, and only when, merging changed a label."""
        policy = _policy(base, [_rule("keep")])
        merged = policy.with_labels({key: FieldLabel.model_validate(label) for key, label in incoming.items()})
        assert (merged.sha256 != policy.sha256) == (merged.labels != policy.labels)

    def test_a_new_label_gives_a_new_hash(self) -> None:
        """Adding a label for a new field changes the hash and leaves the original policy as it was."""
        policy = _policy({"Contact.Email": {"sensitivity": "Public"}}, [_rule("keep")])
        merged = policy.with_labels({"Contact.SSN__c": FieldLabel(sensitivity="Restricted")})
        assert merged.sha256 != policy.sha256
        assert "Contact.SSN__c" not in policy.labels
        assert merged.rules == policy.rules

    def test_keys_merge_case_insensitively_keeping_the_policy_spelling(self) -> None:
        """An incoming contact.email merges into the policy's Contact.Email."""
        policy = _policy({"Contact.Email": {"sensitivity": "Internal", "tags": ["a"]}})
        merged = policy.with_labels({"contact.email": FieldLabel(sensitivity="Restricted", compliance="PII")})
        assert merged.labels == {
            "Contact.Email": FieldLabel(sensitivity="Restricted", compliance="PII", tags=["a"]),
        }

    def test_an_org_label_never_loosens_a_field_covered_by_a_wildcard_label(self) -> None:
        """Merging a Public Contact.Email from the org keeps Contact.Email as protected as the policy's *.Email.

        with_labels adds the exact key beside *.Email, and label_for prefers the exact key, so the Restricted
        wildcard label stops applying and the field is kept instead of dropped.
        """
        policy = _policy({"*.Email": {"sensitivity": "Restricted"}}, KEEP_LOW_DROP_HIGH)
        assert policy.decide("Contact", "Email", "inference").action is Action.DROP
        merged = policy.with_labels({"Contact.Email": FieldLabel(sensitivity="Public")})
        assert merged.decide("Contact", "Email", "inference").action is Action.DROP

    def test_a_badly_formed_key_is_rejected(self) -> None:
        """Merging a label under a key that is not Object.Field raises ValueError."""
        with pytest.raises(ValueError, match=r"Object\.Field"):
            _policy().with_labels({"Email": FieldLabel(sensitivity="Public")})


class TestImmutability:
    def test_attributes_cannot_be_reassigned(self) -> None:
        """A policy is frozen: its attributes cannot be replaced."""
        policy = _policy()
        with pytest.raises(ValidationError):
            policy.version = "2"  # type: ignore[misc]

    def test_the_labels_mapping_cannot_be_changed_in_place(self) -> None:
        """The labels of a policy cannot be edited in place, so its cached sha256 and lookups never go stale."""
        policy = _policy({"Contact.Email": {"sensitivity": "Restricted"}})
        with pytest.raises(TypeError):
            policy.labels["Contact.Phone"] = FieldLabel(sensitivity="Public")  # type: ignore[index]


class TestRuleValidation:
    @pytest.mark.parametrize("action", ["keep", "pseudonymize", "encrypt", "drop"])
    def test_keep_last_is_only_for_mask(self, action: str) -> None:
        """keep_last on any action but mask is rejected."""
        with pytest.raises(ValidationError, match="keep_last only applies"):
            Rule.model_validate(_rule(action, keep_last=2))

    @pytest.mark.parametrize(("keep_last", "valid"), [(0, True), (8, True), (9, False), (-1, False)])
    def test_keep_last_is_between_0_and_8(self, keep_last: int, valid: bool) -> None:
        """A mask keeps between 0 and 8 trailing characters."""
        if valid:
            assert Rule.model_validate(_rule("mask", keep_last=keep_last)).keep_last == keep_last
        else:
            with pytest.raises(ValidationError):
                Rule.model_validate(_rule("mask", keep_last=keep_last))

    @pytest.mark.parametrize("bound", ["min_sensitivity", "max_sensitivity"])
    def test_bounds_must_be_salesforce_levels(self, bound: str) -> None:
        """min_sensitivity and max_sensitivity must name a Salesforce level, not an org-custom one."""
        with pytest.raises(ValidationError, match="not a Salesforce sensitivity level"):
            Rule.model_validate(_rule("drop", **{bound: "TopSecret"}))

    def test_bounds_are_canonicalised(self) -> None:
        """A bound in any case is stored in Salesforce's spelling."""
        assert Rule.model_validate(_rule("drop", min_sensitivity="restricted")).min_sensitivity == "Restricted"

    @pytest.mark.parametrize(
        "pattern",
        [
            "Email",
            "Contact.Email.Extra",
            "Contact.",
            ".Email",
            "*",
            "1Contact.Email",
            "Contact Email",
            "Con-tact.Email",
        ],
    )
    def test_bad_field_patterns_are_rejected(self, pattern: str) -> None:
        """A fields entry must look like Object.Field, Object.* or *.Field."""
        with pytest.raises(ValidationError, match=r"must look like Object\.Field"):
            Rule.model_validate(_rule("keep", fields=[pattern]))

    @pytest.mark.parametrize("pattern", ["Contact.Email", "*.Email", "Contact.*", "ns__Thing__c.Amount__c"])
    def test_good_field_patterns_are_accepted(self, pattern: str) -> None:
        """Object.Field, Object.*, *.Field and namespaced custom names are valid patterns."""
        assert Rule.model_validate(_rule("keep", fields=[pattern])).fields == (pattern,)

    @pytest.mark.parametrize("empty", [[], "", [" "], ";"])
    def test_purposes_must_not_be_empty(self, empty: object) -> None:
        """A rule must name at least one purpose."""
        with pytest.raises(ValidationError, match="purposes"):
            Rule.model_validate({"purposes": empty, "action": "keep"})

    def test_unknown_actions_are_rejected(self) -> None:
        """An action outside keep/mask/pseudonymize/encrypt/drop is rejected."""
        with pytest.raises(ValidationError, match="action"):
            Rule.model_validate(_rule("redact"))

    def test_unknown_keys_are_rejected(self) -> None:
        """A misspelt rule key is an error rather than a silently ignored condition."""
        with pytest.raises(ValidationError, match="complaince"):
            Rule.model_validate(_rule("drop", complaince=["PII"]))


class TestClassificationValidation:
    @pytest.mark.parametrize("key", ["Email", "Contact.Email.Extra", "Contact.*", "*.*", "Contact Email", "Contact."])
    def test_label_keys_must_look_like_object_dot_field(self, key: str) -> None:
        """A label key must be Object.Field or *.Field."""
        with pytest.raises(ValidationError, match=r"must look like Object\.Field or \*\.Field"):
            _policy({key: {"sensitivity": "Public"}})

    def test_relationship_keys_must_look_like_object_dot_field(self) -> None:
        """A relationships key must be Object.Relationship."""
        with pytest.raises(ValidationError, match="relationships"):
            _policy(relationships={"Owner": "User"})

    @pytest.mark.parametrize("data", [{}, {"version": ""}])
    def test_a_version_is_required(self, data: dict[str, Any]) -> None:
        """A policy needs a non-empty version."""
        with pytest.raises(ValidationError, match="version"):
            Classification.model_validate(data)

    @pytest.mark.parametrize(
        ("data", "location"),
        [
            ({"version": "1", "rulez": []}, ("rulez",)),
            ({"version": "1", "labels": {"Contact.Email": {"level": "Public"}}}, ("labels", "Contact.Email", "level")),
            ({"version": "1", "rules": [_rule("keep"), _rule("keep", action_="x")]}, ("rules", 1, "action_")),
        ],
    )
    def test_unknown_keys_are_rejected_where_they_are(self, data: dict[str, Any], location: tuple[object, ...]) -> None:
        """An unknown key anywhere in the policy is an error located at that key."""
        with pytest.raises(ValidationError) as caught:
            Classification.model_validate(data)
        assert caught.value.errors()[0]["loc"] == location
        assert caught.value.errors()[0]["type"] == "extra_forbidden"

    def test_errors_are_located_by_key_path(self) -> None:
        """A bad action in the second rule is reported at rules.1.action."""
        with pytest.raises(ValidationError) as caught:
            _policy(rules=[_rule("keep"), _rule("shred")])
        assert caught.value.errors()[0]["loc"] == ("rules", 1, "action")

    def test_an_empty_purposes_list_on_the_policy_is_allowed(self) -> None:
        """A policy that declares no purposes of its own accepts the built-in ones."""
        assert _policy(purposes=[]).known_purposes == tuple(Purpose)


class TestRuleScope:
    def test_an_object_wildcard_rule_does_not_override_label_rules(self) -> None:
        """A rule scoped with Contact.* is a general rule: it cannot loosen what a label rule drops."""
        policy = _policy(
            {"Contact.SSN__c": {"sensitivity": "Restricted"}},
            [_rule("keep", fields=["Contact.*"]), _rule("drop", min_sensitivity="Restricted")],
        )
        assert policy.decide("Contact", "SSN__c", "training").action is Action.DROP

    def test_a_rule_naming_the_field_is_the_deliberate_exception(self) -> None:
        """A rule that names Contact.SSN__c itself takes precedence over label rules."""
        policy = _policy(
            {"Contact.SSN__c": {"sensitivity": "Restricted"}},
            [_rule("mask", fields=["Contact.SSN__c"], keep_last=2), _rule("drop", min_sensitivity="Restricted")],
        )
        assert policy.decide("Contact", "SSN__c", "training").action is Action.MASK

    def test_a_misspelt_rule_purpose_is_refused(self) -> None:
        """A rule naming an undeclared purpose is rejected, since it would silently never apply."""
        with pytest.raises(ValidationError, match="trainng"):
            _policy(rules=[{"purposes": ["trainng"], "action": "drop"}])

    def test_declared_purposes_may_be_named_by_rules(self) -> None:
        """A purpose declared under `purposes` is accepted in rules."""
        policy = _policy(rules=[{"purposes": ["copilot"], "action": "drop"}], purposes=["copilot"])
        assert policy.rules[0].purposes == ("copilot",)


class TestCustomLevels:
    def test_custom_levels_match_rules_whatever_their_case(self) -> None:
        """A rule naming an org-custom level matches the label however either spells its case."""
        policy = _policy(
            {"Contact.Notes__c": {"sensitivity": "secret", "tags": ["notes"]}},
            [_rule("keep", tags=["notes"]), _rule("drop", sensitivity=["Secret"])],
        )
        assert policy.decide("Contact", "Notes__c", "sync").action is Action.DROP

    def test_conflicting_custom_levels_are_a_load_error(self) -> None:
        """A wildcard and a specific label with different org-custom levels cannot both be honoured: refused."""
        with pytest.raises(ValidationError, match="org-custom"):
            _policy({"*.Notes__c": {"sensitivity": "Internal-Plus"}, "Contact.Notes__c": {"sensitivity": "TopSecret"}})

    def test_with_labels_refuses_a_conflicting_custom_level(self) -> None:
        """Merging an org label with another custom level into a field raises ClassificationError."""
        policy = _policy({"Contact.Notes__c": {"sensitivity": "Internal-Plus"}})
        with pytest.raises(ClassificationError, match="Notes__c"):
            policy.with_labels({"Contact.Notes__c": FieldLabel(sensitivity="TopSecret")})
