"""The embedded org's seeded data: ids, determinism, isolation between orgs, planted text, metadata, permissions."""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfshield.classification import labels_from_custom_metadata
from sfshield.exceptions import PolicyLoadError
from sfshield.testing.org._schema import OrgData
from sfshield.testing.org._seed import (
    CARD_NUMBERS,
    CODE_NAMES,
    CONFIDENTIAL_MARKER,
    IBANS,
    MAX_ORG_INDEX,
    MAX_SIZE,
    PLANT_CYCLE,
    PlantedKind,
    _surname,
    build_schema,
    checksum_suffix,
    planted_kind,
    salesforce_id,
    seed_org,
)

SIZE = 60
BASE62 = string.digits + string.ascii_letters
KEY_PREFIXES = [spec.key_prefix for spec in build_schema().values() if spec.key_prefix]
CATALOG = ("EntityDefinition", "FieldDefinition")  # durable ids (API names, 01I…/00N…), not record ids
FREE_TEXT = [("Case", "Description"), ("Opportunity", "NextStep"), ("Account", "Contract_Terms__c")]
DETECTORS = {
    PlantedKind.EMAIL: re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    PlantedKind.PHONE_E164: re.compile(r"\+1\d{10}\b"),
    PlantedKind.PHONE_NATIONAL: re.compile(r"\(\d{3}\) \d{3}-\d{4}"),
    PlantedKind.CARD_NUMBER: re.compile("|".join(CARD_NUMBERS)),
    PlantedKind.IBAN: re.compile("|".join(IBANS)),
    PlantedKind.ACCESS_TOKEN: re.compile(r"00D[0-9A-Za-z]{12}!AQ[0-9A-Za-z._]{40,}"),
    PlantedKind.CODE_NAME: re.compile("|".join(CODE_NAMES)),
    PlantedKind.CONFIDENTIAL_PRICING: re.compile(re.escape(CONFIDENTIAL_MARKER) + r" \d+% discount until \d{4}"),
}


@pytest.fixture(scope="module")
def orgs() -> tuple[OrgData, OrgData]:
    return seed_org(org_index=0, size=SIZE), seed_org(org_index=1, size=SIZE)


@pytest.fixture(scope="module")
def org(orgs: tuple[OrgData, OrgData]) -> OrgData:
    return orgs[0]


def rows(org: OrgData, sobject: str) -> list[dict[str, Any]]:
    return org.records[sobject]


def by_id(org: OrgData) -> dict[str, tuple[str, dict[str, Any]]]:
    return {row["Id"]: (sobject, row) for sobject, records in org.records.items() for row in records}


def person_values(org: OrgData) -> set[str]:
    """Every value that identifies a person: names, emails, phones, SSNs of Contacts, Leads and Users."""
    fields = ("Name", "LastName", "Email", "Phone", "SSN__c", "Username")
    return {
        str(row[name])
        for sobject in ("Contact", "Lead", "User")
        for row in rows(org, sobject)
        for name in fields
        if row.get(name) is not None
    }


def kinds_in(text: str) -> set[PlantedKind]:
    return {kind for kind, pattern in DETECTORS.items() if pattern.search(text)}


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in moved)) % 97 == 1


def permissions_of(org: OrgData, username: str) -> tuple[list[dict[str, Any]], set[str]]:
    """The permission sets assigned to a user (profile-owned included), and their ids."""
    user = next(u for u in rows(org, "User") if u["Username"] == username)
    ids = {a["PermissionSetId"] for a in rows(org, "PermissionSetAssignment") if a["AssigneeId"] == user["Id"]}
    return [p for p in rows(org, "PermissionSet") if p["Id"] in ids], ids


class TestSalesforceId:
    @pytest.mark.parametrize(
        ("id15", "suffix"),
        [
            ("001D000000IRFma", "IAH"),  # Salesforce REST query docs
            ("01gD0000002HU6K", "IAW"),  # Salesforce REST query docs (nextRecordsUrl locator)
            ("0015g00000XyZab", "AAF"),  # sfshield's demo records
            ("0019000000B98de", "AAB"),  # theblogreaders.com worked example
            ("a0D30000001n7Pi", "EAI"),  # gammone.com worked example
        ],
    )
    def test_known_suffixes(self, id15: str, suffix: str) -> None:
        """The suffix matches published 15-to-18 character conversions."""
        assert checksum_suffix(id15) == suffix

    @given(st.sampled_from(KEY_PREFIXES), st.integers(0, 10**9), st.integers(0, MAX_ORG_INDEX))
    def test_ids_are_18_characters_with_prefix_and_suffix(self, prefix: str, number: int, org_index: int) -> None:
        """An id is 18 base-62 characters: the key prefix, 12 more, and the checksum of the first 15."""
        record_id = salesforce_id(prefix, number, org_index)
        assert len(record_id) == 18 and set(record_id) <= set(BASE62)
        assert record_id.startswith(prefix)
        assert record_id[15:] == checksum_suffix(record_id[:15])

    @given(st.text(BASE62, min_size=15, max_size=15), st.data())
    def test_the_suffix_tells_case_variants_apart(self, id15: str, data: st.DataObject) -> None:
        """Two 15-character ids that differ only in case differ case-insensitively once suffixed."""
        letters = [i for i, char in enumerate(id15) if char.isalpha()]
        if not letters:
            return
        flip = data.draw(st.sampled_from(letters))
        other = id15[:flip] + id15[flip].swapcase() + id15[flip + 1 :]
        assert (id15 + checksum_suffix(id15)).casefold() != (other + checksum_suffix(other)).casefold()

    @given(
        st.tuples(st.sampled_from(KEY_PREFIXES), st.integers(0, 10**6), st.integers(0, MAX_ORG_INDEX)),
        st.tuples(st.sampled_from(KEY_PREFIXES), st.integers(0, 10**6), st.integers(0, MAX_ORG_INDEX)),
    )
    def test_distinct_inputs_give_distinct_ids(self, first: tuple[str, int, int], second: tuple[str, int, int]) -> None:
        """Different (prefix, number, org) give different ids, compared case-insensitively."""
        if first != second:
            assert salesforce_id(*first).casefold() != salesforce_id(*second).casefold()

    @given(st.integers(0, 10**6), st.integers(0, 10**6))
    def test_serials_sort_like_numbers(self, first: int, second: int) -> None:
        """Within one object and org, ids sort in creation order, as Salesforce's roughly do."""
        assert (salesforce_id("001", first, 0) < salesforce_id("001", second, 0)) == (first < second)

    @pytest.mark.parametrize(
        ("prefix", "number", "org_index"),
        [("01", 1, 0), ("0_1", 1, 0), ("0011", 1, 0), ("001", -1, 0), ("001", 62**9, 0), ("001", 1, -1),
         ("001", 1, MAX_ORG_INDEX + 1)],
    )  # fmt: skip
    def test_bad_arguments_raise_value_error(self, prefix: str, number: int, org_index: int) -> None:
        """A malformed prefix, an out-of-range number or org index is a ValueError."""
        with pytest.raises(ValueError, match=r"prefix|number|org_index"):
            salesforce_id(prefix, number, org_index)

    @pytest.mark.parametrize("id15", ["", "001D000000IRFm", "001D000000IRFmaIAH"])
    def test_checksum_needs_15_characters(self, id15: str) -> None:
        """checksum_suffix refuses anything but 15 characters."""
        with pytest.raises(ValueError, match="15-character"):
            checksum_suffix(id15)


class TestDeterminism:
    def test_same_arguments_build_the_same_org(self, org: OrgData) -> None:
        """Two builds with the same arguments are equal, records and schema alike."""
        assert seed_org(org_index=0, size=SIZE) == org

    def test_another_seed_changes_the_data_but_not_the_ids(self, org: OrgData) -> None:
        """The seed drives the data; ids depend only on the org and record order."""
        other = seed_org(org_index=0, size=SIZE, seed=1)
        assert other.org_id == org.org_id
        assert rows(other, "Account")[0]["Id"] == rows(org, "Account")[0]["Id"]
        assert rows(other, "Contact") != rows(org, "Contact")

    def test_build_schema_returns_a_fresh_dict(self) -> None:
        """Callers may change the returned dict without changing anyone else's."""
        first = build_schema()
        first.pop("Account")
        assert "Account" in build_schema()


class TestIsolation:
    def test_orgs_have_different_ids(self, orgs: tuple[OrgData, OrgData]) -> None:
        """Org ids differ (also in the last 6 characters, which name the OAuth client) and record ids never meet."""
        first, second = orgs
        assert first.org_id != second.org_id and first.org_id[-6:] != second.org_id[-6:]
        shared = by_id(first).keys() & by_id(second).keys()
        assert not {i for i in shared if first.by_id(i) and first.by_id(i)[0] not in CATALOG}

    def test_two_orgs_share_no_contact_email(self, orgs: tuple[OrgData, OrgData]) -> None:
        """No Contact email of one org appears in the other."""
        first, second = ({row["Email"] for row in rows(org, "Contact")} for org in orgs)
        assert first and second and not first & second

    @settings(max_examples=20, deadline=None)
    @given(st.integers(0, MAX_ORG_INDEX), st.integers(0, MAX_ORG_INDEX), st.integers(0, 3))
    def test_no_two_orgs_share_a_person(self, first: int, second: int, seed: int) -> None:
        """Names, emails, phones and SSNs of one org's people never appear in another org, whatever the seed."""
        if first != second:
            one, two = (seed_org(org_index=i, size=8, seed=seed) for i in (first, second))
            assert not person_values(one) & person_values(two)

    def test_people_are_unique_within_an_org(self, org: OrgData) -> None:
        """No two Contacts or Leads share an email, a phone or an SSN."""
        people = rows(org, "Contact") + rows(org, "Lead")
        for name in ("Email", "Phone", "Name"):
            values = [row[name] for row in people]
            assert len(values) == len(set(values)), name

    @given(st.integers(0, 10**8), st.integers(0, 10**8))
    def test_surnames_are_injective(self, first: int, second: int) -> None:
        """Distinct person numbers spell distinct surnames."""
        assert (_surname(first) == _surname(second)) == (first == second)


class TestRecords:
    def test_every_id_has_its_objects_prefix_and_a_valid_suffix(self, org: OrgData) -> None:
        """Each record's id is 18 characters, starts with its object's key prefix and checks out."""
        assert org.org_id.startswith("00D") and org.org_id[15:] == checksum_suffix(org.org_id[:15])
        for sobject, spec in org.schema.items():
            for row in rows(org, sobject) if sobject not in CATALOG else ():
                assert len(row["Id"]) == 18 and row["Id"].startswith(spec.key_prefix)
                assert row["Id"][15:] == checksum_suffix(row["Id"][:15])

    def test_records_hold_exactly_their_fields(self, org: OrgData) -> None:
        """Every record has every field of its object and nothing else (CMT rows add their resolved __r)."""
        extra = {"Sfshield_Field_Policy__mdt": {"Object__r", "Field__r"}}
        for sobject, spec in org.schema.items():
            names = {f.name for f in spec.fields} | extra.get(sobject, set())
            assert all(set(row) == names for row in rows(org, sobject)), sobject

    def test_every_lookup_points_at_a_record_of_the_right_object(self, org: OrgData) -> None:
        """A non-null reference field holds the id of an existing record of its reference_to object."""
        index = by_id(org)
        for sobject, spec in org.schema.items():
            for field in spec.fields:
                if field.type != "reference" or field.reference_to[0] not in org.schema:
                    continue
                for row in rows(org, sobject):
                    if row[field.name] is not None:
                        assert index[row[field.name]][0] == field.reference_to[0], (sobject, field.name)

    def test_child_relationships_name_lookups_to_the_parent(self, org: OrgData) -> None:
        """Each child relationship's field is a lookup on the child that points back at the parent."""
        for parent, spec in org.schema.items():
            for child in spec.children:
                field = org.schema[child.child_object].field(child.field)
                assert field is not None and field.reference_to == (parent,)

    def test_case_contacts_belong_to_the_cases_account(self, org: OrgData) -> None:
        """A Case's Contact works for the Case's Account."""
        contacts = {row["Id"]: row for row in rows(org, "Contact")}
        assert all(contacts[case["ContactId"]]["AccountId"] == case["AccountId"] for case in rows(org, "Case"))

    def test_volumes_scale_with_size(self, org: OrgData) -> None:
        """An org has size Accounts, 1-5 Contacts each plus private ones, 1-2 Opportunities, 1-3 Cases, 3 Users."""
        per_account = Counter(row["AccountId"] for row in rows(org, "Contact"))
        assert len(rows(org, "Account")) == SIZE
        assert per_account.pop(None) == SIZE // 10
        assert set(per_account.values()) <= set(range(1, 6)) and len(per_account) == SIZE
        assert 2 <= sum(per_account.values()) / SIZE <= 4
        assert set(Counter(row["AccountId"] for row in rows(org, "Opportunity")).values()) <= {1, 2}
        assert set(Counter(row["AccountId"] for row in rows(org, "Case")).values()) <= {1, 2, 3}
        assert len(rows(org, "Lead")) == SIZE // 2 and len(rows(org, "User")) == 3

    def test_values_fit_their_fields(self, org: OrgData) -> None:
        """Text fits the field length; dates and datetimes have the REST formats."""
        date_format = re.compile(r"^\d{4}-\d{2}-\d{2}$")
        datetime_format = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")
        for sobject, spec in org.schema.items():
            for field in spec.fields:
                values = [row[field.name] for row in rows(org, sobject) if row[field.name] is not None]
                if field.type in {"string", "textarea", "email", "phone", "picklist"}:
                    assert all(isinstance(v, str) and len(v) <= field.length for v in values), field.name
                elif field.type == "date":
                    assert all(date_format.match(v) for v in values), field.name
                elif field.type == "datetime":
                    assert all(datetime_format.match(v) for v in values), field.name
                elif field.type == "boolean":
                    assert all(isinstance(v, bool) for v in values), field.name

    @pytest.mark.parametrize(
        "arguments",
        [{"org_index": -1}, {"org_index": MAX_ORG_INDEX + 1}, {"org_index": 0, "size": 0},
         {"org_index": 0, "size": MAX_SIZE + 1}],
    )  # fmt: skip
    def test_bad_arguments_raise_value_error(self, arguments: dict[str, int]) -> None:
        """An org index or size out of range is a ValueError."""
        with pytest.raises(ValueError, match=r"org_index|size"):
            seed_org(**arguments)


class TestPlantedText:
    def test_the_planted_values_are_valid(self) -> None:
        """Card numbers pass Luhn, IBANs pass mod 97, code names are projects."""
        assert all(luhn_valid(number) for number in CARD_NUMBERS)
        assert all(iban_valid(iban) for iban in IBANS)
        assert all(name.startswith("Project ") for name in CODE_NAMES)

    def test_the_cycle_plants_each_kind_in_one_row_of_ten(self) -> None:
        """Each kind is planted once per cycle of ten rows; two rows in ten stay clean."""
        assert len(PLANT_CYCLE) == 10
        assert Counter(PLANT_CYCLE) == {**dict.fromkeys(PlantedKind, 1), None: 2}
        assert [planted_kind(i) for i in range(20)] == [*PLANT_CYCLE, *PLANT_CYCLE]

    @pytest.mark.parametrize(("sobject", "field"), FREE_TEXT)
    def test_each_row_carries_exactly_its_planted_kind(self, org: OrgData, sobject: str, field: str) -> None:
        """Row i's free text holds what planted_kind(i) says and nothing else a detector would find."""
        for row_index, row in enumerate(rows(org, sobject)):
            kind = planted_kind(row_index)
            assert kinds_in(row[field]) == ({kind} if kind else set()), (row_index, row[field])

    @pytest.mark.parametrize(("sobject", "field"), FREE_TEXT)
    def test_each_kind_is_in_a_known_fraction_of_rows(self, org: OrgData, sobject: str, field: str) -> None:
        """Counting detections per kind gives exactly the cycle's share of the rows."""
        texts = [row[field] for row in rows(org, sobject)]
        expected = Counter(planted_kind(i) for i in range(len(texts)))
        for kind in PlantedKind:
            found = sum(1 for text in texts if DETECTORS[kind].search(text))
            assert found == expected[kind] and abs(found / len(texts) - 0.1) < 0.05

    def test_case_descriptions_plant_the_cases_own_contact(self, org: OrgData) -> None:
        """The email and phones in a Case description are those of the Case's Contact."""
        contacts = {row["Id"]: row for row in rows(org, "Contact")}
        for row_index, case in enumerate(rows(org, "Case")):
            contact = contacts[case["ContactId"]]
            digits = re.sub(r"\D", "", contact["Phone"])
            expected = {
                PlantedKind.EMAIL: contact["Email"],
                PlantedKind.PHONE_E164: f"+1{digits}",
                PlantedKind.PHONE_NATIONAL: contact["Phone"],
            }
            kind = planted_kind(row_index)
            if kind in expected:
                assert expected[kind] in case["Description"]

    def test_access_tokens_carry_the_orgs_id(self, org: OrgData) -> None:
        """Pasted tokens are shaped like this org's real ones: its 15-character id, then !AQ."""
        tokens = [m.group() for row in rows(org, "Case") for m in DETECTORS[PlantedKind.ACCESS_TOKEN].finditer(
            row["Description"])]  # fmt: skip
        assert tokens and all(token.startswith(org.org_id[:15] + "!AQ") for token in tokens)
        assert len(set(tokens)) == len(tokens)


class TestClassification:
    @pytest.mark.parametrize(
        ("name", "level", "groups"),
        [("Contact.Email", "Confidential", "PII;GDPR"), ("Contact.Phone", "Confidential", "PII"),
         ("Contact.Birthdate", "Restricted", "PII;GDPR"), ("Contact.SSN__c", "MissionCritical", "PII"),
         ("Opportunity.Amount", "Confidential", None), ("Opportunity.Discount__c", "Restricted", None),
         ("Account.Contract_Terms__c", "Restricted", None), ("Account.Industry", "Public", None),
         ("Contact.CreatedDate", None, None)],
    )  # fmt: skip
    def test_fields_carry_classification(self, name: str, level: str | None, groups: str | None) -> None:
        """Describe metadata carries SecurityClassification and ComplianceGroup as Salesforce returns them."""
        sobject, field_name = name.split(".")
        field = build_schema()[sobject].field(field_name)
        assert field is not None
        assert (field.security_classification, field.compliance_group) == (level, groups)

    def test_ssn_is_encrypted_and_levels_are_varied(self) -> None:
        """SSN__c is Shield-encrypted; Public and Internal fields abound and some fields are unclassified."""
        fields = [f for spec in build_schema().values() for f in spec.fields]
        levels = Counter(f.security_classification for f in fields)
        ssn = build_schema()["Contact"].field("SSN__c")
        assert ssn is not None and ssn.encrypted
        assert levels["Public"] >= 5 and levels["Internal"] >= 10 and levels[None] >= 10

    def test_one_policy_record_per_classified_field(self, org: OrgData) -> None:
        """Sfshield_Field_Policy__mdt has a record for each classified field, with its level and groups."""
        classified = {
            f"{sobject}.{f.name}": (f.security_classification, f.compliance_group)
            for sobject, spec in org.schema.items()
            for f in spec.fields
            if f.security_classification or f.compliance_group
        }
        policies = {
            f"{row['Object__r']['QualifiedApiName']}.{row['Field__r']['QualifiedApiName']}": (
                row["Sensitivity__c"], row["Compliance_Groups__c"]
            )
            for row in rows(org, "Sfshield_Field_Policy__mdt")
        }  # fmt: skip
        assert policies == classified
        assert len(rows(org, "Sfshield_Field_Policy__mdt")) == len(classified)

    def test_relationship_fields_hold_salesforces_raw_values(self, org: OrgData) -> None:
        """Standard objects and fields are stored by name, custom ones by 01I/00N id, as §4.3 describes."""
        policies = {row["DeveloperName"]: row for row in rows(org, "Sfshield_Field_Policy__mdt")}
        assert (policies["Account_Industry"]["Object__c"], policies["Account_Industry"]["Field__c"]) == (
            "Account", "Account.Industry")  # fmt: skip
        ssn = policies["Contact_SSN"]
        assert ssn["Object__c"] == "Contact" and re.fullmatch(r"Contact\.00N[0-9A-Za-z]{12}", ssn["Field__c"])
        amount = policies["Invoice_Amount"]
        assert re.fullmatch(r"01I[0-9A-Za-z]{12}", amount["Object__c"])
        assert re.fullmatch(r"Invoice__c\.00N[0-9A-Za-z]{12}", amount["Field__c"])
        assert amount["Object__r"]["QualifiedApiName"] == "Invoice__c"
        assert amount["Field__r"] == {"QualifiedApiName": "Amount__c", "DeveloperName": "Amount"}
        assert amount["Tags__c"] == "commercial-terms" and amount["Kind__c"] == "amount"

    def test_sfshield_reads_the_policy_records(self, org: OrgData) -> None:
        """labels_from_custom_metadata turns the records into labels; without __r it refuses the custom ids."""
        records = rows(org, "Sfshield_Field_Policy__mdt")
        labels = labels_from_custom_metadata(records)
        assert labels["Contact.SSN__c"].sensitivity == "MissionCritical"
        assert labels["Invoice__c.Amount__c"].tags == ("commercial-terms",)
        raw = [{k: v for k, v in row.items() if not k.endswith("__r")} for row in records]
        with pytest.raises(PolicyLoadError):
            labels_from_custom_metadata(raw)


class TestPermissions:
    def test_the_integration_user_is_least_privilege(self, org: OrgData) -> None:
        """The integration user is API-only, with no View/Modify All Data and no Customize Application."""
        sets, _ = permissions_of(org, "integration@org0.example")
        assert any(p["PermissionsApiUserOnly"] for p in sets)
        for flag in ("ViewAllData", "ModifyAllData", "ViewAllUsers", "CustomizeApplication", "AuthorApex"):
            assert not any(p[f"Permissions{flag}"] for p in sets), flag

    def test_the_integration_user_reads_four_crm_objects_but_not_lead(self, org: OrgData) -> None:
        """Object permissions grant Read (and no more) on Account, Contact, Case, Opportunity; nothing on Lead."""
        _, ids = permissions_of(org, "integration@org0.example")
        grants = {o["SobjectType"]: o for o in rows(org, "ObjectPermissions") if o["ParentId"] in ids}
        assert {"Account", "Contact", "Case", "Opportunity"} <= grants.keys() and "Lead" not in grants
        assert all(o["PermissionsRead"] and not o["PermissionsViewAllRecords"] and not o["PermissionsEdit"]
                   for o in grants.values())  # fmt: skip

    def test_field_permissions_deny_ssn_and_birthdate(self, org: OrgData) -> None:
        """The integration user's field permissions say Read false on SSN__c and Birthdate, true on Email."""
        _, ids = permissions_of(org, "integration@org0.example")
        reads = {f["Field"]: f["PermissionsRead"] for f in rows(org, "FieldPermissions") if f["ParentId"] in ids}
        assert reads["Contact.SSN__c"] is False and reads["Contact.Birthdate"] is False
        assert reads["Contact.Email"] is True and not any(f.startswith("Lead.") for f in reads)

    def test_the_admin_views_all_data_and_the_sales_user_does_not(self, org: OrgData) -> None:
        """The administrator's profile grants View All Data; the sales user's does not."""
        admin, _ = permissions_of(org, "admin@org0.example")
        sales, _ = permissions_of(org, "sales@org0.example")
        assert any(p["PermissionsViewAllData"] for p in admin)
        assert not any(p["PermissionsViewAllData"] for p in sales)

    def test_profiles_are_mirrored_by_profile_owned_permission_sets(self, org: OrgData) -> None:
        """Every profile owns one permission set with the same system permissions."""
        owned = {p["ProfileId"]: p for p in rows(org, "PermissionSet") if p["IsOwnedByProfile"]}
        for profile in rows(org, "Profile"):
            flags = {k: v for k, v in profile.items() if k.startswith("Permissions")}
            assert {k: owned[profile["Id"]][k] for k in flags} == flags
