"""The field filter: default deny at every depth, idempotence, record shapes, decision summaries."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.classification import Action, Classification, DecisionReason
from sfshield.exceptions import (
    ConfigurationError,
    FieldEncryptionError,
    FilterError,
    UnknownPurposeError,
    UnresolvedObjectError,
)
from sfshield.filtering import FieldFilter
from sfshield.protocols import FieldContext
from sfshield.testing import EphemeralTestEncryptor
from sfshield.transforms import Pseudonymizer, PseudonymKey
from tests.strategies import PURPOSES, contact_records, policies

PSEUDONYM = re.compile(r"^[a-z0-9_]+_[0-9a-f]{26}$")


def make_filter(policy: Classification, key: PseudonymKey | None = None) -> FieldFilter:
    return FieldFilter(
        policy,
        tenant="t1",
        pseudonymizer=Pseudonymizer(key or PseudonymKey(b"k" * 32)),
        encryptor=EphemeralTestEncryptor(),
    )


def assert_allowed(
    policy: Classification, purpose: str, sobject: str, out: dict[str, Any], src: dict[str, Any]
) -> None:
    """Walk a filtered record and check every key against the policy, recursing into parents and children."""
    for key, value in out.items():
        original = src[key]
        if isinstance(original, dict) and "records" in original:
            assert value["records"] is not original["records"]
            for child, child_src in zip(value["records"], original["records"], strict=True):
                assert_allowed(policy, purpose, "Case", child, child_src)
        elif isinstance(original, dict):
            assert_allowed(policy, purpose, "Account", value, original)
        else:
            decision = policy.decide(sobject, key, purpose)
            assert decision.action is not Action.DROP, f"{sobject}.{key} passed without an allowing rule"
            assert_transformed(decision.action, value, original)


def assert_transformed(action: Action, value: Any, original: Any) -> None:
    if action is Action.KEEP:
        assert value == original
    elif original is None:
        assert value is None
    elif action is Action.MASK:
        assert value is None if not isinstance(original, str) else len(value) == len(original)
    elif action is Action.PSEUDONYMIZE:
        assert PSEUDONYM.match(value)
    else:
        assert value.startswith("sfstest:")


class TestDefaultDeny:
    @given(policies(), st.lists(contact_records(), max_size=4), st.sampled_from(PURPOSES))
    def test_no_field_passes_without_an_allowing_rule_at_any_depth(
        self, policy: Classification, records: list[dict[str, Any]], purpose: str
    ) -> None:
        """Every field left in a filtered record, in parents and children too, has a rule that allows it."""
        result = make_filter(policy).filter(records, purpose=purpose)
        for out, src in zip(result, records, strict=True):
            assert "attributes" not in out
            assert_allowed(policy, purpose, "Contact", out, src)

    def test_an_unlabelled_field_is_dropped_and_reported(self) -> None:
        """A field without a label never passes, even under a catch-all keep rule, and is reported unlabelled."""
        policy = Classification(
            version="1",
            labels={"Contact.Name": {"sensitivity": "Public"}},
            rules=[{"purposes": ["*"], "action": "keep"}],
        )
        result = make_filter(policy).filter([{"Name": "A", "SSN__c": "1"}], purpose="embedding", sobject="Contact")
        assert result[0] == {"Name": "A"}
        (dropped,) = [d for d in result.decisions[0].fields if d.path == "SSN__c"]
        assert (dropped.action, dropped.reason) == (Action.DROP, DecisionReason.UNLABELLED)

    def test_a_parent_whose_type_nobody_knows_is_dropped(self) -> None:
        """A nested dict without attributes under an unknown relationship name is dropped as unresolved."""
        policy = Classification(
            version="1",
            labels={"*.Name": {"sensitivity": "Public"}},
            rules=[{"purposes": ["*"], "action": "keep"}],
        )
        record = {"Name": "A", "Mystery__r": {"Name": "B"}}
        result = make_filter(policy).filter([record], purpose="sync", sobject="Contact")
        assert result[0] == {"Name": "A"}
        assert [d.reason for d in result.decisions[0].fields if d.path == "Mystery__r"] == [DecisionReason.UNRESOLVED]


class TestIdempotence:
    @given(policies(), st.lists(contact_records(), max_size=4), st.sampled_from(PURPOSES))
    def test_filtering_twice_changes_nothing(
        self, policy: Classification, records: list[dict[str, Any]], purpose: str
    ) -> None:
        """Filtering the output again (masks, pseudonyms and ciphertexts included) returns it unchanged."""
        field_filter = make_filter(policy)
        once = list(field_filter.filter(records, purpose=purpose))
        twice = list(field_filter.filter(once, purpose=purpose, sobject="Contact"))
        assert twice == once


class TestRecordShapes:
    POLICY = Classification(
        version="1",
        labels={
            "*.Id": {"sensitivity": "Public"},
            "*.Name": {"sensitivity": "Internal"},
            "Contact.Email": {"sensitivity": "Confidential", "compliance": ["PII"], "kind": "email"},
            "Account.Secret__c": {"sensitivity": "Restricted"},
        },
        rules=[
            {"purposes": ["*"], "max_sensitivity": "Internal", "action": "keep"},
            {"purposes": ["*"], "compliance": ["PII"], "action": "pseudonymize"},
        ],
        relationships={"Account.Owner": "User"},
    )

    def test_bulk_csv_dotted_columns_follow_the_parent_objects_labels(self) -> None:
        """A dotted CSV column (Account.Owner.Name) is decided by the label of the field on the parent object."""
        row = {
            "Id": "1",
            "Account.Name": "Acme",
            "Account.Secret__c": "x",
            "Account.Owner.Name": "Jo",
            "Email": "a@b",
        }
        (out,) = make_filter(self.POLICY).filter([row], purpose="training", sobject="Contact")
        assert set(out) == {"Id", "Account.Name", "Account.Owner.Name", "Email"}
        assert PSEUDONYM.match(out["Email"])

    def test_dotted_and_nested_forms_give_the_same_decisions(self) -> None:
        """The CSV form and the nested form of the same record keep the same paths."""
        nested = {
            "attributes": {"type": "Contact"},
            "Id": "1",
            "Account": {"attributes": {"type": "Account"}, "Name": "Acme", "Secret__c": "x"},
        }
        flat = {"Id": "1", "Account.Name": "Acme", "Account.Secret__c": "x"}
        field_filter = make_filter(self.POLICY)
        nested_result = field_filter.filter([nested], purpose="sync")
        flat_result = field_filter.filter([flat], purpose="sync", sobject="Contact")
        assert {(d.path, d.action) for d in nested_result.decisions[0].fields} == {
            (d.path, d.action) for d in flat_result.decisions[0].fields
        }

    def test_platform_event_payloads_are_filtered_with_the_event_name(self) -> None:
        """An event payload dict is filtered as a flat record of the event object given as sobject."""
        policy = Classification(
            version="1",
            labels={"Order_Event__e.Order_Number__c": {"sensitivity": "Public"}},
            rules=[{"purposes": ["sync"], "max_sensitivity": "Public", "action": "keep"}],
        )
        payload = {"Order_Number__c": "A-1", "Customer_Email__c": "x@y", "CreatedById": "005xx"}
        (out,) = make_filter(policy).filter([payload], purpose="sync", sobject="Order_Event__e")
        assert out == {"Order_Number__c": "A-1"}

    def test_child_query_results_keep_their_query_result_shape(self) -> None:
        """A child subquery stays {totalSize, done, records} with each child filtered."""
        record = {
            "attributes": {"type": "Account"},
            "Name": "A",
            "Contacts": {
                "totalSize": 1,
                "done": True,
                "records": [{"attributes": {"type": "Contact"}, "Name": "B", "Email": None}],
            },
        }
        (out,) = make_filter(self.POLICY).filter([record], purpose="sync")
        assert out == {
            "Name": "A",
            "Contacts": {"totalSize": 1, "done": True, "records": [{"Name": "B", "Email": None}]},
        }

    def test_a_labelled_compound_field_is_treated_as_one_field(self) -> None:
        """A dict value without attributes whose field is labelled (an address) is decided as a single field."""
        policy = Classification(
            version="1",
            labels={"Contact.MailingAddress": {"sensitivity": "Internal"}},
            rules=[{"purposes": ["*"], "action": "mask"}],
        )
        address = {"city": "Oslo", "street": "Storgata 1"}
        (out,) = make_filter(policy).filter([{"MailingAddress": address}], purpose="sync", sobject="Contact")
        assert out == {"MailingAddress": {"city": "****", "street": "**********"}}


class TestBadInput:
    POLICY = TestRecordShapes.POLICY

    def test_records_without_a_type_need_sobject(self) -> None:
        """A record without attributes.type and no sobject raises an error that says to pass sobject=."""
        with pytest.raises(UnresolvedObjectError, match="sobject="):
            make_filter(self.POLICY).filter([{"Name": "x"}], purpose="sync")

    def test_an_unknown_purpose_is_refused(self) -> None:
        """An undeclared purpose raises UnknownPurposeError before any record is touched."""
        with pytest.raises(UnknownPurposeError):
            make_filter(self.POLICY).filter([{"Name": "x"}], purpose="marketing", sobject="Contact")

    def test_pseudonymize_without_a_key_is_a_configuration_error(self) -> None:
        """A pseudonymize rule with no pseudonymizer fails closed with a message naming the rule and the fix."""
        field_filter = FieldFilter(self.POLICY, tenant="t")
        with pytest.raises(ConfigurationError, match="pseudonym key"):
            field_filter.filter([{"Email": "a@b"}], purpose="sync", sobject="Contact")

    def test_encrypt_without_an_encryptor_is_a_configuration_error(self) -> None:
        """An encrypt rule with no encryptor fails closed."""
        policy = Classification(
            version="1",
            labels={"Contact.Email": {"sensitivity": "Public"}},
            rules=[{"purposes": ["*"], "action": "encrypt"}],
        )
        with pytest.raises(ConfigurationError, match="encryptor"):
            FieldFilter(policy, tenant="t").filter([{"Email": "a"}], purpose="sync", sobject="Contact")

    def test_an_encryptor_failure_stops_the_batch_without_echoing_the_value(self) -> None:
        """When the encryptor raises, FieldEncryptionError is raised and its message holds no value."""

        class Broken:
            def encrypt(self, plaintext: bytes, /, *, context: FieldContext) -> str:
                raise RuntimeError(plaintext.decode())

            def is_encrypted(self, text: str, /, *, context: FieldContext) -> bool:
                return False

        policy = Classification(
            version="1",
            labels={"Contact.Email": {"sensitivity": "Public"}},
            rules=[{"purposes": ["*"], "action": "encrypt"}],
        )
        with pytest.raises(FieldEncryptionError) as caught:
            FieldFilter(policy, tenant="t", encryptor=Broken()).filter(
                [{"Email": "ann@secret.example"}], purpose="sync", sobject="Contact"
            )
        assert "ann@secret.example" not in str(caught.value)


class TestEncryptionContext:
    def test_ciphertexts_are_bound_to_tenant_object_field_purpose_and_record(self) -> None:
        """An encrypted value decrypts with its own context only."""
        encryptor = EphemeralTestEncryptor()
        policy = Classification(
            version="1",
            labels={"Contact.Email": {"sensitivity": "Public"}, "Contact.Id": {"sensitivity": "Public"}},
            rules=[
                {"purposes": ["*"], "action": "keep"},
                {"purposes": ["*"], "fields": ["*.Email"], "action": "encrypt"},
            ],
        )
        (out,) = FieldFilter(policy, tenant="t1", encryptor=encryptor).filter(
            [{"Id": "003A", "Email": "a@b"}], purpose="sync", sobject="Contact"
        )
        right = FieldContext("t1", "Contact", "Email", "sync", "003A")
        assert encryptor.decrypt(out["Email"], context=right) == b"a@b"
        with pytest.raises(Exception, match=r"InvalidTag|^$"):
            encryptor.decrypt(out["Email"], context=FieldContext("t2", "Contact", "Email", "sync", "003A"))


class TestRelationshipResolution:
    def test_a_wildcard_relationship_key_applies_to_every_object(self) -> None:
        """A `*.Billing__r` relationship entry resolves that lookup on any object."""
        policy = Classification(
            version="1",
            labels={"Contact.Name": {"sensitivity": "Public"}},
            rules=[{"purposes": ["*"], "action": "keep"}],
            relationships={"*.Billing__r": "Contact"},
        )
        (out,) = make_filter(policy).filter([{"Billing__r": {"Name": "A"}}], purpose="sync", sobject="Account")
        assert out == {"Billing__r": {"Name": "A"}}

    def test_an_unlabelled_compound_value_is_reported_unlabelled(self) -> None:
        """An address dict nobody labelled is dropped as unlabelled, not as an unresolved relationship."""
        policy = Classification(version="1")
        result = make_filter(policy).filter([{"MailingAddress": {"city": "Oslo"}}], purpose="sync", sobject="Contact")
        assert result[0] == {}
        assert [d.reason for d in result.decisions[0].fields] == [DecisionReason.UNLABELLED]


class TestReviewedLeaks:
    POLICY = Classification(
        version="1",
        labels={
            "Contact.Id": {"sensitivity": "Public"},
            "Contact.Account": {"sensitivity": "Public"},
            "Account.Name": {"sensitivity": "Public"},
            "Account.Secret__c": {"sensitivity": "Restricted"},
            "Contact.SSN__c": {"sensitivity": "Public"},
        },
        rules=[
            {"purposes": ["*"], "max_sensitivity": "Internal", "action": "keep"},
            {"purposes": ["training"], "fields": ["Contact.SSN__c"], "action": "encrypt"},
        ],
    )

    def test_labelling_a_relationship_name_never_lets_the_whole_parent_through(self) -> None:
        """A dict under a known relationship is filtered as the parent record even if someone labelled the name."""
        record = {"Id": "1", "Account": {"Name": "A", "Secret__c": "TOPSECRET"}}
        (out,) = make_filter(self.POLICY).filter([record], purpose="sync", sobject="Contact")
        assert out == {"Id": "1", "Account": {"Name": "A"}}

    def test_dict_subclasses_are_filtered_as_records(self) -> None:
        """A parent held in a dict subclass (defaultdict) is still recognised and filtered."""
        parent = defaultdict(str, {"attributes": {"type": "Account"}, "Name": "A", "Secret__c": "TOPSECRET"})
        (out,) = make_filter(self.POLICY).filter([{"Id": "1", "Account": parent}], purpose="sync", sobject="Contact")
        assert out == {"Id": "1", "Account": {"Name": "A"}}

    @pytest.mark.parametrize("key", ["198403091234", "ada@x.example", "Name With Space", "a" * 300])
    def test_keys_that_are_not_salesforce_names_never_reach_the_decisions(self, key: str) -> None:
        """A key made of data is dropped and reported under a stand-in, never under its own text."""
        result = make_filter(self.POLICY).filter([{"Id": "1", key: "v"}], purpose="sync", sobject="Contact")
        assert result[0] == {"Id": "1"}
        paths = [d.path for d in result.decisions[0].fields]
        assert key not in repr(paths)
        assert [d.reason for d in result.decisions[0].fields if d.path != "Id"] == [DecisionReason.INVALID_NAME]

    def test_a_value_that_merely_looks_encrypted_is_still_encrypted(self) -> None:
        """A plaintext that starts with the encryptor's marker is encrypted, not passed through."""
        encryptor = EphemeralTestEncryptor()
        field_filter = FieldFilter(self.POLICY, tenant="t", encryptor=encryptor)
        (out,) = field_filter.filter(
            [{"Id": "1", "SSN__c": "sfstest:198403091234"}], purpose="training", sobject="Contact"
        )
        assert out["SSN__c"] != "sfstest:198403091234"
        assert encryptor.decrypt(out["SSN__c"], context=FieldContext("t", "Contact", "SSN__c", "training", "1")) == (
            b"sfstest:198403091234"
        )

    def test_a_record_that_is_not_a_mapping_is_refused(self) -> None:
        """A list where a record should be raises FilterError."""
        with pytest.raises(FilterError, match="mapping"):
            make_filter(self.POLICY).filter([["Id", "1"]], purpose="sync", sobject="Contact")  # type: ignore[list-item]


class TestPseudonymsWithinABatch:
    POLICY = TestRecordShapes.POLICY
    EMAILS = ("a@x.io", "b@x.io", "a@x.io", " a@x.io", "A@X.IO", "a@x.io")

    def _records(self) -> list[dict[str, Any]]:
        return [{"Id": str(i), "Email": email} for i, email in enumerate(self.EMAILS)]

    def test_a_value_repeated_in_a_batch_gets_the_pseudonym_it_gets_alone(self) -> None:
        """Every occurrence of a repeated value is pseudonymized exactly as that value alone would be."""
        key = PseudonymKey(b"k" * 32)
        batch = make_filter(self.POLICY, key).filter(self._records(), purpose="sync", sobject="Contact")
        alone = [
            make_filter(self.POLICY, key).filter([record], purpose="sync", sobject="Contact")[0]["Email"]
            for record in self._records()
        ]
        assert [record["Email"] for record in batch] == alone
        assert batch[0]["Email"] == batch[2]["Email"] != batch[1]["Email"]

    def test_no_value_of_a_batch_is_kept_once_it_is_filtered(self) -> None:
        """The filter remembers pseudonyms for one batch only, and forgets them also when the batch fails."""
        field_filter = make_filter(self.POLICY)
        field_filter.filter(self._records(), purpose="sync", sobject="Contact")
        assert not any(field_filter._pseudonyms.values())
        failing: list[Any] = [*self._records(), ["not", "a", "record"]]
        with pytest.raises(FilterError):
            field_filter.filter(failing, purpose="sync", sobject="Contact")
        assert not any(field_filter._pseudonyms.values())
