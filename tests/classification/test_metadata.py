from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.classification import (
    Action,
    Classification,
    CustomMetadataFields,
    DecisionReason,
    FieldLabel,
    labels_from_custom_metadata,
    labels_from_field_definitions,
)
from sfshield.exceptions import PolicyLoadError

SECRET = "sk_live_SECRET123"

# A Tooling API QueryResult for `SELECT QualifiedApiName, DataType, SecurityClassification, ComplianceGroup, ...
# FROM FieldDefinition WHERE EntityDefinition.QualifiedApiName = 'Contact'`, as simple-salesforce returns it.
TOOLING_RESPONSE: dict[str, Any] = {
    "size": 3,
    "totalSize": 3,
    "done": True,
    "queryLocator": None,
    "entityTypeName": "FieldDefinition",
    "records": [
        {
            "attributes": {
                "type": "FieldDefinition",
                "url": "/services/data/v66.0/tooling/sobjects/FieldDefinition/Contact.Email",
            },
            "QualifiedApiName": "Email",
            "DataType": "Email",
            "SecurityClassification": "Confidential",
            "ComplianceGroup": "PII;GDPR",
            "BusinessStatus": "Active",
            "BusinessOwnerId": None,
        },
        {
            "attributes": {"type": "FieldDefinition", "url": "..."},
            "QualifiedApiName": "SSN__c",
            "DataType": "Text(11)",
            "SecurityClassification": "Restricted",
            "ComplianceGroup": "PII",
            "BusinessStatus": "Active",
            "BusinessOwnerId": "005000000000001",
        },
        {
            "attributes": {"type": "FieldDefinition", "url": "..."},
            "QualifiedApiName": "Fax",
            "DataType": "Fax",
            "SecurityClassification": None,
            "ComplianceGroup": None,
            "BusinessStatus": None,
            "BusinessOwnerId": None,
        },
    ],
}

CONTACT_LABELS = {
    "Contact.Email": FieldLabel(sensitivity="Confidential", compliance=("GDPR", "PII")),
    "Contact.SSN__c": FieldLabel(sensitivity="Restricted", compliance=("PII",)),
}

INVOICE_AMOUNT = FieldLabel(
    sensitivity="Restricted", compliance=("GDPR", "PII"), tags=("commercial-terms",), kind="amount"
)


def _with_entity(record: dict[str, Any], entity: str) -> dict[str, Any]:
    nested = {"attributes": {"type": "EntityDefinition", "url": "..."}, "QualifiedApiName": entity}
    return {**record, "EntityDefinition": nested}


def _cmt(**fields: Any) -> dict[str, Any]:
    """A record of sfshield's Custom Metadata Type, as the REST query API returns it."""
    return {
        "attributes": {
            "type": "Sfshield_Field_Policy__mdt",
            "url": "/services/data/v66.0/sobjects/Sfshield_Field_Policy__mdt/m005e000000AbCd",
        },
        "DeveloperName": "Invoice_Amount",
        "Sensitivity__c": "Restricted",
        "Compliance_Groups__c": "PII;GDPR",
        "Tags__c": "commercial-terms",
        "Kind__c": "amount",
        **fields,
    }


def _relation(name: str) -> dict[str, Any]:
    return {"attributes": {"type": "EntityDefinition", "url": "..."}, "QualifiedApiName": name}


def _cmt_error(*records: dict[str, Any], fields: CustomMetadataFields | None = None) -> PolicyLoadError:
    with pytest.raises(PolicyLoadError) as caught:
        labels_from_custom_metadata(list(records), fields=fields)
    return caught.value


compliance_parts = st.lists(st.text(alphabet="ABCDEFGHIPxyz_ ", max_size=6), max_size=6)


class TestLabelsFromFieldDefinitions:
    def test_reads_a_tooling_response_with_sobject(self) -> None:
        """Records shaped like the Tooling response become labels keyed Object.Field, ;-joined groups split."""
        assert labels_from_field_definitions(TOOLING_RESPONSE["records"], sobject="Contact") == CONTACT_LABELS

    def test_fields_without_level_or_group_get_no_label(self) -> None:
        """A field whose SecurityClassification and ComplianceGroup are both null stays unlabelled."""
        labels = labels_from_field_definitions(TOOLING_RESPONSE["records"], sobject="Contact")
        assert "Contact.Fax" not in labels

    def test_the_object_comes_from_a_nested_entity_definition(self) -> None:
        """With EntityDefinition.QualifiedApiName selected, each record names its own object."""
        records = [_with_entity(record, "Contact") for record in TOOLING_RESPONSE["records"]]
        assert labels_from_field_definitions(records) == CONTACT_LABELS

    def test_the_object_comes_from_a_flat_dotted_key(self) -> None:
        """A flat row (Bulk/CSV) with an EntityDefinition.QualifiedApiName column names the object."""
        row = {
            "EntityDefinition.QualifiedApiName": "Lead",
            "QualifiedApiName": "Email",
            "SecurityClassification": "Internal",
        }
        assert labels_from_field_definitions([row]) == {"Lead.Email": FieldLabel(sensitivity="Internal")}

    def test_the_record_object_wins_over_sobject(self) -> None:
        """When a record names its object, sobject= is only the fallback."""
        records = [_with_entity(TOOLING_RESPONSE["records"][0], "Lead"), TOOLING_RESPONSE["records"][1]]
        assert set(labels_from_field_definitions(records, sobject="Contact")) == {"Lead.Email", "Contact.SSN__c"}

    def test_without_an_object_it_raises_saying_what_to_select(self) -> None:
        """A record with no EntityDefinition and no sobject= raises PolicyLoadError naming the record."""
        with pytest.raises(PolicyLoadError) as caught:
            labels_from_field_definitions(TOOLING_RESPONSE["records"])
        assert caught.value.source == "FieldDefinition record 0"
        assert "select EntityDefinition.QualifiedApiName or pass sobject=" in str(caught.value)

    def test_without_a_field_name_it_raises(self) -> None:
        """A record lacking QualifiedApiName raises PolicyLoadError naming the record by position."""
        records = [TOOLING_RESPONSE["records"][0], {"SecurityClassification": "Public"}]
        with pytest.raises(PolicyLoadError, match=r"^FieldDefinition record 1: needs QualifiedApiName"):
            labels_from_field_definitions(records, sobject="Contact")

    def test_a_group_without_a_level_is_a_label_of_unknown_level(self) -> None:
        """A field with a compliance group but no level is labelled, and ranks as most sensitive."""
        record = {"QualifiedApiName": "Birthdate", "SecurityClassification": None, "ComplianceGroup": "PII"}
        label = labels_from_field_definitions([record], sobject="Contact")["Contact.Birthdate"]
        assert label == FieldLabel(compliance=("PII",))
        assert label.rank > FieldLabel(sensitivity="MissionCritical").rank

    @pytest.mark.parametrize(("level", "stored"), [("restricted", "Restricted"), ("Top Secret", "Top Secret")])
    def test_org_levels_are_canonicalised_or_kept(self, level: str, stored: str) -> None:
        """Known levels are stored in Salesforce's spelling; org-custom levels are kept as they are."""
        record = {"QualifiedApiName": "Email", "SecurityClassification": level}
        assert labels_from_field_definitions([record], sobject="Contact")["Contact.Email"].sensitivity == stored

    def test_an_empty_level_counts_as_none(self) -> None:
        """An empty SecurityClassification with no group leaves the field unlabelled."""
        record = {"QualifiedApiName": "Email", "SecurityClassification": "", "ComplianceGroup": ""}
        assert labels_from_field_definitions([record], sobject="Contact") == {}

    @pytest.mark.parametrize(
        "record",
        [
            {"QualifiedApiName": "Email", "SecurityClassification": 7},
            {"QualifiedApiName": "Email", "ComplianceGroup": {"secret": SECRET}},
        ],
    )
    def test_an_invalid_value_raises_without_echoing_it(self, record: dict[str, Any]) -> None:
        """A value that cannot be a label raises PolicyLoadError naming the record, not the value."""
        with pytest.raises(PolicyLoadError) as caught:
            labels_from_field_definitions([record], sobject="Contact")
        assert str(caught.value) == "FieldDefinition record 0: holds a value that is not a valid label"

    def test_any_iterable_of_records_is_accepted(self) -> None:
        """Records may come from a generator, as a paging query yields them."""

        def pages() -> Iterator[dict[str, Any]]:
            yield from TOOLING_RESPONSE["records"]

        assert labels_from_field_definitions(pages(), sobject="Contact") == CONTACT_LABELS

    @given(compliance_parts)
    def test_compliance_is_the_sorted_set_of_non_empty_parts(self, parts: list[str]) -> None:
        """For any ;-joined ComplianceGroup, the label holds the sorted set of its non-blank, stripped parts."""
        record = {"QualifiedApiName": "Email", "SecurityClassification": "Internal", "ComplianceGroup": ";".join(parts)}
        label = labels_from_field_definitions([record], sobject="Contact")["Contact.Email"]
        assert label.compliance == tuple(sorted({part.strip() for part in parts if part.strip()}))


class TestLabelsFromCustomMetadata:
    def test_reads_nested_relationship_names(self) -> None:
        """Object__r and Field__r dicts (simple-salesforce's shape) name the object and field, over raw ids."""
        record = _cmt(
            Object__c="01I5e000000AbCd",
            Object__r=_relation("Invoice__c"),
            Field__c="01I5e000000AbCd.00N3600000RSyBA",
            Field__r=_relation("Amount__c"),
        )
        assert labels_from_custom_metadata([record]) == {"Invoice__c.Amount__c": INVOICE_AMOUNT}

    def test_reads_flat_dotted_relationship_columns(self) -> None:
        """A flat CSV-style row with Object__r.QualifiedApiName and Field__r.QualifiedApiName columns works."""
        record = _cmt(**{"Object__r.QualifiedApiName": "Invoice__c", "Field__r.QualifiedApiName": "Amount__c"})
        assert labels_from_custom_metadata([record]) == {"Invoice__c.Amount__c": INVOICE_AMOUNT}

    @pytest.mark.parametrize("field", ["Account.Industry", "Industry"])
    def test_reads_standard_names_from_the_raw_fields(self, field: str) -> None:
        """Standard names need no relationship: Object__c 'Account' and Field__c 'Account.Industry' work."""
        record = _cmt(Object__c="Account", Field__c=field, Sensitivity__c="Internal")
        assert labels_from_custom_metadata([record])["Account.Industry"].sensitivity == "Internal"

    @pytest.mark.parametrize("object_id", ["01I5e000000AbCd", "01I5e000000AbCdEAA"])
    def test_an_object_id_without_its_name_is_refused(self, object_id: str) -> None:
        """An EntityDefinition id (01I…) without Object__r raises naming the record and what to select."""
        error = _cmt_error(_cmt(Object__c=object_id, Field__c="Amount__c"))
        assert str(error) == (
            "custom metadata record Invoice_Amount: Object__c: is an id; select Object__r.QualifiedApiName too"
        )

    @pytest.mark.parametrize("field_id", ["Account.00N3600000RSyBA", "Account.00N3600000RSyBAEA2"])
    def test_a_field_id_without_its_name_is_refused(self, field_id: str) -> None:
        """A FieldDefinition value ending in a CustomField id (00N…) raises naming the record and what to select."""
        error = _cmt_error(_cmt(Object__c="Account", Field__c=field_id))
        assert error.source == "custom metadata record Invoice_Amount"
        assert error.location == "Field__c"
        assert "select Field__r.QualifiedApiName" in str(error)

    def test_an_unresolved_relationship_falls_back_to_the_id_and_is_refused(self) -> None:
        """A null Object__r (the user cannot see the object) leaves only the id, which is refused, never guessed."""
        error = _cmt_error(_cmt(Object__c="01I5e000000AbCd", Object__r=None, Field__c="Amount__c"))
        assert "select Object__r.QualifiedApiName" in str(error)

    @pytest.mark.parametrize(
        ("record", "location", "problem"),
        [
            (_cmt(Field__c="Account.Industry"), "Object__c", "no object named"),
            (_cmt(Object__c="Account"), "Field__c", "no field named"),
            (_cmt(Object__c="", Field__c="Account.Industry"), "Object__c", "no object named"),
            (_cmt(Object__c=42, Field__c="Account.Industry"), "Object__c", "no object named"),
        ],
    )
    def test_a_record_must_name_object_and_field(self, record: dict[str, Any], location: str, problem: str) -> None:
        """A record without an object or field name raises, located at the missing field."""
        error = _cmt_error(record)
        assert (error.location, error.problem) == (location, problem)

    def test_records_without_developer_name_are_named_by_position(self) -> None:
        """When DeveloperName is not selected, the error names the record's position."""
        good = _cmt(Object__c="Account", Field__c="Account.Industry")
        bad = {"Object__c": "01I5e000000AbCd", "Field__c": "Amount__c"}
        assert _cmt_error(good, bad).source == "custom metadata record 1"

    def test_custom_field_names_are_honoured(self) -> None:
        """CustomMetadataFields maps the label parts to your own CMT's fields, relationships included."""
        names = CustomMetadataFields(
            object="Target_Object__c",
            field="Target_Field__c",
            sensitivity="Level__c",
            compliance="Groups__c",
            tags="Labels__c",
            kind="Type__c",
        )
        record = {
            "DeveloperName": "Invoice_Amount",
            "Target_Object__c": "01I5e000000AbCd",
            "Target_Object__r": _relation("Invoice__c"),
            "Target_Field__r": _relation("Amount__c"),
            "Level__c": "Restricted",
            "Groups__c": "PII;GDPR",
            "Labels__c": "commercial-terms",
            "Type__c": "amount",
            "Sensitivity__c": "Public",
        }
        assert labels_from_custom_metadata([record], fields=names) == {"Invoice__c.Amount__c": INVOICE_AMOUNT}

    def test_custom_names_appear_in_errors(self) -> None:
        """Errors name your CMT's fields and relationships, not sfshield's defaults."""
        names = CustomMetadataFields(object="Target_Object__c", field="Target_Field__c")
        error = _cmt_error(_cmt(Target_Object__c="01I5e000000AbCd", Target_Field__c="Amount__c"), fields=names)
        assert error.location == "Target_Object__c"
        assert "select Target_Object__r.QualifiedApiName" in str(error)

    def test_default_field_names_are_sfshields_own(self) -> None:
        """Without fields=, sfshield's own CMT field names are used."""
        assert CustomMetadataFields() == CustomMetadataFields(
            object="Object__c",
            field="Field__c",
            sensitivity="Sensitivity__c",
            compliance="Compliance_Groups__c",
            tags="Tags__c",
            kind="Kind__c",
        )

    def test_tags_may_be_separated_by_semicolons_or_commas(self) -> None:
        """A Tags__c text field may list tags with ; or , between them."""
        record = _cmt(Object__c="Account", Field__c="Account.Industry", Tags__c="ip, commercial-terms;internal")
        assert labels_from_custom_metadata([record])["Account.Industry"].tags == ("commercial-terms", "internal", "ip")

    def test_list_values_are_accepted(self) -> None:
        """Compliance groups and tags may already be lists."""
        record = _cmt(Object__c="Account", Field__c="Industry", Compliance_Groups__c=["PII"], Tags__c=["ip"])
        label = labels_from_custom_metadata([record])["Account.Industry"]
        assert (label.compliance, label.tags) == (("PII",), ("ip",))

    def test_an_invalid_value_raises_without_echoing_it(self) -> None:
        """A value that cannot be a label raises PolicyLoadError naming the record, not the value."""
        error = _cmt_error(_cmt(Object__c="Account", Field__c="Industry", Tags__c={"x": SECRET}))
        assert str(error) == "custom metadata record Invoice_Amount: holds a value that is not a valid label"

    def test_a_record_without_classification_leaves_the_field_unlabelled(self) -> None:
        """A record that sets no level, group or tag does not make its field pass a policy."""
        record = _cmt(
            Object__c="Account", Field__c="Industry", Sensitivity__c=None, Compliance_Groups__c=None, Tags__c=None
        )
        policy = Classification(version="1", rules=[{"purposes": ["*"], "action": "keep"}])
        merged = policy.with_labels(labels_from_custom_metadata([record]))
        assert merged.decide("Account", "Industry", "inference").reason is DecisionReason.UNLABELLED

    @pytest.mark.parametrize("order", [1, -1])
    def test_two_records_for_one_field_never_let_the_less_sensitive_win(self, order: int) -> None:
        """Two records labelling the same field merge so the more sensitive level wins, whatever the query order.

        CMT queries have no guaranteed order, so 'last record wins' makes protection depend on chance.
        """
        records = [
            _cmt(DeveloperName="Strict", Object__c="Contact", Field__c="Contact.Email", Sensitivity__c="Restricted"),
            _cmt(DeveloperName="Loose", Object__c="Contact", Field__c="Contact.Email", Sensitivity__c="Public"),
        ][::order]
        assert labels_from_custom_metadata(records)["Contact.Email"].sensitivity == "Restricted"

    @given(compliance_parts)
    def test_compliance_is_the_sorted_set_of_non_empty_parts(self, parts: list[str]) -> None:
        """For any ;-joined Compliance_Groups__c, the label holds the sorted set of its non-blank, stripped parts."""
        record = _cmt(Object__c="Account", Field__c="Industry", Compliance_Groups__c=";".join(parts))
        label = labels_from_custom_metadata([record])["Account.Industry"]
        assert label.compliance == tuple(sorted({part.strip() for part in parts if part.strip()}))


class TestOrgLabelsInAPolicy:
    def test_field_definition_labels_drive_decisions(self) -> None:
        """Labels read from FieldDefinition, merged into a policy, decide fields by their org classification."""
        policy = Classification.model_validate(
            {
                "version": "1",
                "rules": [
                    {"purposes": ["*"], "action": "keep", "max_sensitivity": "Internal"},
                    {"purposes": ["*"], "action": "pseudonymize", "compliance": ["PII"]},
                    {"purposes": ["*"], "action": "drop", "min_sensitivity": "Restricted"},
                ],
            }
        )
        merged = policy.with_labels(labels_from_field_definitions(TOOLING_RESPONSE["records"], sobject="Contact"))
        assert merged.decide("Contact", "Email", "inference").action is Action.PSEUDONYMIZE
        assert merged.decide("Contact", "SSN__c", "inference").action is Action.DROP
        assert merged.decide("Contact", "Fax", "inference").reason is DecisionReason.UNLABELLED
        assert merged.sha256 != policy.sha256
