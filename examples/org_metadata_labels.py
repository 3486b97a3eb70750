"""Merge labels from the org's own metadata (FieldDefinition, Custom Metadata) into a policy file's rules.

The records below have the shape simple-salesforce returns for
  SELECT QualifiedApiName, SecurityClassification, ComplianceGroup FROM FieldDefinition
  WHERE EntityDefinition.QualifiedApiName = 'Contact'
A merged label is never less protected than either source.

Run: python examples/org_metadata_labels.py
"""

from pathlib import Path

import sfshield

HERE = Path(__file__).parent

field_definitions = [
    {
        "attributes": {"type": "FieldDefinition"},
        "QualifiedApiName": "Title",
        "SecurityClassification": "Restricted",
        "ComplianceGroup": None,
    },
    {
        "attributes": {"type": "FieldDefinition"},
        "QualifiedApiName": "Fax",
        "SecurityClassification": "Internal",
        "ComplianceGroup": "PII;GDPR",
    },
    {
        "attributes": {"type": "FieldDefinition"},
        "QualifiedApiName": "Nickname__c",
        "SecurityClassification": None,
        "ComplianceGroup": None,
    },  # unlabelled: stays default-denied
]
custom_metadata = [
    {
        "attributes": {"type": "Sfshield_Field_Policy__mdt"},
        "DeveloperName": "Contact_Pronouns",
        "Object__r": {"QualifiedApiName": "Contact"},
        "Field__r": {"QualifiedApiName": "Pronouns__c"},
        "Sensitivity__c": "Public",
        "Compliance_Groups__c": None,
        "Tags__c": None,
        "Kind__c": None,
    },
]

policy = sfshield.load_classification(HERE / "policy.toml")
merged = policy.with_labels(sfshield.labels_from_field_definitions(field_definitions, sobject="Contact"))
merged = merged.with_labels(sfshield.labels_from_custom_metadata(custom_metadata))

print(f"policy {policy.sha256[:12]} -> merged {merged.sha256[:12]}")
for field in ("Title", "Fax", "Nickname__c", "Pronouns__c"):
    decision = merged.decide("Contact", field, "embedding")
    print(f"Contact.{field:12} {merged.label_for('Contact', field)!s:70} -> {decision.action}")

# Title was Internal in the file; the org says Restricted, so it no longer passes.
assert policy.decide("Contact", "Title", "embedding").action == "keep"
assert merged.decide("Contact", "Title", "embedding").action == "drop"
