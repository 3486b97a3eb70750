"""Labels read from the org: merged over the policy, cached with their version, failing closed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sfshield import Shield
from sfshield._demo import load_demo_policy
from sfshield.audit import AuditPipeline, InMemoryAuditSink, OperationBlocked, Outcome
from sfshield.audit.events import LabelsLoaded, event_from_json
from sfshield.classification import CustomMetadataFields
from sfshield.exceptions import (
    ClassificationError,
    ConfigurationError,
    PolicyLoadError,
    QueryRejectedError,
    TransientError,
)
from sfshield.salesforce import LabelSource, OrgLabels, RequestPolicy, TenantClient, TenantConfig
from sfshield.testing import EmbeddedOrg
from sfshield.transforms import PseudonymKey
from tests.salesforce._tenants import tenant_config, token_store

OBJECTS = ("Account", "Case", "Contact", "Invoice__c", "Opportunity", "User")
CMT = "Sfshield_Field_Policy__mdt"
OPPORTUNITIES = "SELECT Id, Name, StageName FROM Opportunity"
TTL = timedelta(minutes=15)


class Clock:
    """The client's clock; it moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        """The current fake time."""
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the fake time forward."""
        self.now += delta


@dataclass
class Setup:
    """A client whose tenant takes its labels from the org, and what it leaves behind."""

    org: EmbeddedOrg
    client: TenantClient
    sink: InMemoryAuditSink
    clock: Clock

    @property
    def built(self) -> list[str]:
        """The policy hashes of the Shields that came into force (one ``policy_loaded`` event each), in order."""
        return [event.policy_sha256 for event in self.sink.events if event.kind == "policy_loaded"]

    def metadata_reads(self) -> int:
        """How many Custom Metadata queries the org served."""
        return sum(1 for entry in self.org.requests_log(0) if entry.soql and CMT in entry.soql)

    def data_reads(self, sobject: str) -> int:
        """How many queries of ``sobject`` records the org served."""
        return sum(1 for entry in self.org.requests_log(0) if entry.soql and f"FROM {sobject}" in entry.soql)

    def events(self, kind: type[Any]) -> list[Any]:
        """The audit events of one kind."""
        return [event for event in self.sink.events if isinstance(event, kind)]


@pytest.fixture
def org() -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=1, size=3) as running:
        yield running


def config_for(org: EmbeddedOrg, **changes: Any) -> TenantConfig:
    settings: dict[str, Any] = {"allowed_purposes": ["training", "embedding"], "allowed_objects": list(OBJECTS)}
    return tenant_config(org, **(settings | {"labels_from_org": True} | changes))


def setup(org: EmbeddedOrg, *, source: LabelSource | None = None, **changes: Any) -> Setup:
    config = config_for(org, **changes)
    sink = InMemoryAuditSink()
    audit = AuditPipeline(sinks=[sink])
    clock = Clock()
    shield = Shield(
        load_demo_policy(),
        tenant=config.tenant,
        org_id=config.org_id,
        audit=audit,
        pseudonym_key=PseudonymKey(bytes(32)),
    )
    client = TenantClient(
        config,
        shield=shield,
        token_store=token_store(org, config),
        session=org.session(),
        policy=RequestPolicy(backoff=0.01, max_backoff=0.02, attempts=3, sleep=lambda _: None),
        clock=clock,
        label_source=source,
    )
    return Setup(org, client, sink, clock)


def policy_row(org: EmbeddedOrg, developer_name: str) -> dict[str, Any]:
    return next(row for row in org.org(0).data.records[CMT] if row["DeveloperName"] == developer_name)


def field_definition(org: EmbeddedOrg, durable_id: str) -> dict[str, Any]:
    return next(row for row in org.org(0).data.records["FieldDefinition"] if row["DurableId"] == durable_id)


def hide_from_integration_user(org: EmbeddedOrg, sobject: str) -> None:
    org.org(0).unreadable_objects[org.handles[0].user_id].add(sobject.casefold())


class TestLoading:
    def test_labels_come_from_the_org_merged_over_the_policy(self, org: EmbeddedOrg) -> None:
        """Custom Metadata records and FieldDefinition label fields the policy file never named; the load is audited."""
        labelled = setup(org)
        labels = labelled.client.load_labels()
        base = load_demo_policy()
        assert base.label_for("Opportunity", "Name") is None
        assert labels.classification.label_for("Opportunity", "Name").sensitivity == "Internal"  # type: ignore[union-attr]
        rows = [row for row in org.org(0).data.records[CMT] if row["Object__r"]["QualifiedApiName"] in OBJECTS]
        assert labels.objects == OBJECTS
        assert labels.custom_metadata_records == len(rows)
        assert labels.field_definition_labels >= len(rows)
        assert labels.base_sha256 == base.sha256 != labels.sha256
        newest = max(datetime.strptime(row["SystemModstamp"], "%Y-%m-%dT%H:%M:%S.%f%z") for row in rows)
        assert labels.modstamp == newest
        assert labels.version == f"{labels.sha256[:16]}@{newest:%Y-%m-%dT%H:%M:%SZ}"
        assert labels.expires_at - labels.loaded_at == TTL
        (event,) = labelled.events(LabelsLoaded)
        assert (event.policy_sha256, event.base_policy_sha256) == (labels.sha256, base.sha256)
        assert (event.custom_metadata_records, event.metadata_modstamp) == (len(rows), newest)
        assert event.source == f"{CMT}+FieldDefinition" and event.objects == OBJECTS
        assert event.label_count == len(labels.classification.labels)
        assert event_from_json(event.to_json_dict()) == event  # a registered kind: audit files read it back

    def test_merging_never_lowers_what_the_policy_says(self, org: EmbeddedOrg) -> None:
        """An org that calls Birthdate Public cannot lower the policy's Restricted."""
        policy_row(org, "Contact_Birthdate")["Sensitivity__c"] = "Public"
        field_definition(org, "Contact.Birthdate")["SecurityClassification"] = "Public"
        label = setup(org).client.load_labels().classification.label_for("Contact", "Birthdate")
        assert label is not None and label.sensitivity == "Restricted"

    def test_the_org_can_raise_what_the_policy_says(self, org: EmbeddedOrg) -> None:
        """An org that calls Title Restricted makes it Restricted, although the policy file says Internal."""
        policy_row(org, "Contact_Title")["Sensitivity__c"] = "Restricted"
        label = setup(org).client.load_labels().classification.label_for("Contact", "Title")
        assert label is not None and label.sensitivity == "Restricted"

    def test_field_definitions_can_be_left_out(self, org: EmbeddedOrg) -> None:
        """With field_definitions=False only the Custom Metadata records are read."""
        labelled = setup(org, source=LabelSource(field_definitions=False))
        labels = labelled.client.load_labels()
        assert labels.field_definition_labels == 0
        assert not [e for e in org.requests_log(0) if e.soql and "FieldDefinition" in e.soql]
        assert labelled.events(LabelsLoaded)[0].source == CMT

    def test_many_threads_share_one_read(self, org: EmbeddedOrg) -> None:
        """Eight threads querying with a cold cache cause one read of the labels between them."""
        labelled = setup(org)
        labelled.client.connect()
        counts: list[int] = []

        def read() -> None:
            counts.append(len(list(labelled.client.query(OPPORTUNITIES, purpose="training"))))

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(counts) == 8 and len(set(counts)) == 1 and counts[0] > 0
        assert labelled.metadata_reads() == 1 and len(labelled.built) == 2  # the base Shield and one version


class TestVersionAndCache:
    def test_labels_are_reused_for_their_ttl_then_read_again(self, org: EmbeddedOrg) -> None:
        """Within labels_ttl the cached labels are returned without a call; after it they are read again."""
        labelled = setup(org)
        first = labelled.client.load_labels()
        labelled.clock.advance(TTL - timedelta(seconds=1))
        assert labelled.client.load_labels() is first and labelled.metadata_reads() == 1
        labelled.clock.advance(timedelta(seconds=1))
        second = labelled.client.load_labels()
        assert second is not first and second.sha256 == first.sha256 and labelled.metadata_reads() == 2
        assert labelled.client.load_labels(refresh=True) is not second and labelled.metadata_reads() == 3
        assert len(labelled.events(LabelsLoaded)) == 3

    def test_a_changed_record_is_a_new_version_that_the_next_query_uses(self, org: EmbeddedOrg) -> None:
        """A record made stricter in the org takes effect once the TTL has run, with a new hash and modstamp."""
        labelled = setup(org)
        before = list(labelled.client.query(OPPORTUNITIES, purpose="training"))
        assert before and all("Name" in r for r in before)
        old = labelled.client.load_labels()
        row = policy_row(org, "Opportunity_Name")
        row["Sensitivity__c"], row["SystemModstamp"] = "Restricted", "2026-11-27T08:30:00.000+0000"
        assert list(labelled.client.query(OPPORTUNITIES, purpose="training")) == before  # still in its TTL
        labelled.clock.advance(TTL)
        with pytest.raises(QueryRejectedError, match=r"Opportunity\.Name"):
            labelled.client.query(OPPORTUNITIES, purpose="training")
        new = labelled.client.load_labels()
        assert new.sha256 != old.sha256 and new.modstamp == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
        assert labelled.built == [load_demo_policy().sha256, old.sha256, new.sha256]

    def test_the_same_labels_read_again_keep_their_shield(self, org: EmbeddedOrg) -> None:
        """A reload that finds the same labels builds no new Shield (no new policy came into force)."""
        labelled = setup(org)
        list(labelled.client.query(OPPORTUNITIES, purpose="training"))
        labelled.clock.advance(TTL)
        list(labelled.client.query(OPPORTUNITIES, purpose="training"))
        assert labelled.metadata_reads() == 2 and len(labelled.built) == 2


class TestQueriesAndExports:
    def test_a_query_uses_the_org_labels(self, org: EmbeddedOrg) -> None:
        """Opportunity.Name, labelled only in the org, is read and kept for training."""
        records = list(setup(org).client.query(OPPORTUNITIES, purpose="training"))
        assert records and all(r["Name"] and r["StageName"] for r in records)

    def test_an_export_uses_the_org_labels(self, org: EmbeddedOrg) -> None:
        """Bulk exports are classified with the merged labels too."""
        rows = list(setup(org).client.export("Opportunity", ["Id", "Name", "StageName"], purpose="training"))
        assert rows and all(r["Name"] for r in rows)

    def test_without_labels_from_org_the_policy_alone_decides(self, org: EmbeddedOrg) -> None:
        """The current behaviour stays: a ready Shield, no metadata read, and the policy's own labels."""
        config = config_for(org, labels_from_org=False)
        shield = Shield(
            load_demo_policy(), tenant="acme", audit=InMemoryAuditSink(), pseudonym_key=PseudonymKey.generate()
        )
        client = TenantClient(config, shield=shield, token_store=token_store(org, config), session=org.session())
        with pytest.raises(QueryRejectedError, match=r"Opportunity\.Name.*unlabelled"):
            client.query(OPPORTUNITIES, purpose="training")
        assert list(client.query("SELECT Id, Title FROM Contact", purpose="training"))
        assert not [e for e in org.requests_log(0) if e.soql and CMT in e.soql]


class TestFailClosed:
    def test_an_allowed_object_without_records_stops_the_read(self, org: EmbeddedOrg) -> None:
        """Salesforce hides the records of an object the user cannot read: nothing is read, the reason is audited."""
        hide_from_integration_user(org, "Invoice__c")
        labelled = setup(org)
        with pytest.raises(
            ClassificationError, match=r"no Sfshield_Field_Policy__mdt records for Invoice__c"
        ) as caught:
            labelled.client.query("SELECT Id, Title FROM Contact", purpose="training")
        assert "labels_required_for" in str(caught.value) and "object permissions" in str(caught.value)
        assert labelled.data_reads("Contact") == 0
        (blocked,) = labelled.events(OperationBlocked)
        assert (blocked.operation, blocked.outcome, blocked.error_type) == (
            "load_labels",
            Outcome.BLOCKED,
            "ClassificationError",
        )
        assert not labelled.events(LabelsLoaded)

    def test_labels_required_for_names_the_objects_that_must_have_records(self, org: EmbeddedOrg) -> None:
        """An object left out of labels_required_for may lack records; FieldDefinition still labels it."""
        hide_from_integration_user(org, "Invoice__c")
        labels = setup(org, labels_required_for=["Contact", "Opportunity"]).client.load_labels()
        label = labels.classification.label_for("Invoice__c", "Amount__c")
        assert label is not None and label.sensitivity == "Restricted"

    def test_a_failing_read_stops_the_query_and_says_why(self, org: EmbeddedOrg) -> None:
        """When the metadata cannot be read, ClassificationError (cause chained) and no records."""
        labelled = setup(org)
        labelled.client.connect()
        org.inject("server_error", nth=1, times=None)
        try:
            with pytest.raises(ClassificationError, match="could not be read from its org") as caught:
                labelled.client.query("SELECT Id, Title FROM Contact", purpose="training")
        finally:
            org.clear_faults(0)
        assert isinstance(caught.value.__cause__, TransientError)
        assert [e.operation for e in labelled.events(OperationBlocked)] == ["load_labels"]
        assert labelled.data_reads("Contact") == 0

    def test_labels_past_their_time_are_never_used_when_reading_again_fails(self, org: EmbeddedOrg) -> None:
        """After the TTL a failed reload stops the query rather than falling back to the old labels."""
        labelled = setup(org)
        assert list(labelled.client.query(OPPORTUNITIES, purpose="training"))
        labelled.clock.advance(TTL)
        org.inject("server_error", nth=1, times=None)
        try:
            with pytest.raises(ClassificationError):
                labelled.client.query(OPPORTUNITIES, purpose="training")
        finally:
            org.clear_faults(0)
        assert list(labelled.client.query(OPPORTUNITIES, purpose="training"))  # read again once the org answers

    def test_an_invalid_record_is_refused(self, org: EmbeddedOrg) -> None:
        """A record whose field is only an id (its target unresolvable) is a PolicyLoadError naming the record."""
        policy_row(org, "Invoice_Amount")["Field__c"] = "Invoice__c.00N5g0003Xk0099"
        labelled = setup(org)
        with pytest.raises(PolicyLoadError, match=r"Invoice_Amount.*Field__r\.QualifiedApiName"):
            labelled.client.load_labels()
        assert labelled.events(OperationBlocked)[0].error_type == "PolicyLoadError"

    def test_a_custom_metadata_type_that_is_not_deployed_is_named(self, org: EmbeddedOrg) -> None:
        """Reading a type the org does not have says what to check."""
        labelled = setup(org, source=LabelSource(custom_metadata_type="Data_Labels__mdt"))
        with pytest.raises(ClassificationError, match="Custom Metadata Type is deployed"):
            labelled.client.load_labels()


class TestArguments:
    def test_the_shield_must_be_the_tenants(self, org: EmbeddedOrg) -> None:
        """Another tenant's Shield is refused, with labels from the org or without."""
        for config in (config_for(org), config_for(org, labels_from_org=False)):
            other = Shield(load_demo_policy(), tenant="other", audit=InMemoryAuditSink())
            with pytest.raises(ConfigurationError, match="per tenant"):
                TenantClient(config, shield=other, token_store=token_store(org, config))

    def test_with_policy_keeps_everything_but_the_policy(self) -> None:
        """Shield.with_policy: same tenant, org, audit trail and keys; the new policy; its policy_loaded event."""
        sink = InMemoryAuditSink()
        shield = Shield(
            load_demo_policy(), tenant="acme", org_id=None, audit=sink, pseudonym_key=PseudonymKey(bytes(32))
        )
        merged = load_demo_policy().with_labels({})
        other = shield.with_policy(merged)
        assert (other.tenant, other.org_id, other.audit, other.policy) == ("acme", None, shield.audit, merged)
        assert [e.kind for e in sink.events] == ["policy_loaded", "policy_loaded"]

    @pytest.mark.parametrize(
        "source",
        [
            {"custom_metadata_type": "Policy__c"},
            {"custom_metadata_type": "Bad Name__mdt"},
            {"fields": CustomMetadataFields(object="Object__c FROM User")},
        ],
    )
    def test_a_label_source_with_bad_names_is_refused(self, source: dict[str, Any]) -> None:
        """Names go into SOQL, so anything that is not an API name is refused."""
        with pytest.raises(ValueError, match="API names"):
            LabelSource(**source)

    def test_org_labels_say_their_version_and_freshness(self) -> None:
        """OrgLabels names its version by hash and modstamp, and is fresh until expires_at."""
        policy = load_demo_policy()
        now = datetime(2026, 1, 1, tzinfo=UTC)
        labels = OrgLabels(
            classification=policy,
            base_sha256=policy.sha256,
            objects=("Contact",),
            custom_metadata_records=0,
            field_definition_labels=0,
            modstamp=None,
            loaded_at=now,
            expires_at=now + TTL,
        )
        assert labels.version.endswith("@no-records") and labels.is_fresh(now) and not labels.is_fresh(now + TTL)
