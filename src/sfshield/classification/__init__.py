"""The policy: what each Salesforce field is, and what each purpose may do with it.

A :class:`Classification` holds labels per ``Object.Field`` (sensitivity level, compliance groups, tags) and rules
mapping purpose x label → :class:`Action`. It is immutable, versioned and hashed; anything it does not label or
cover is dropped (default deny). Load one with :func:`load_classification`, and merge in labels read from the org
with :func:`labels_from_field_definitions` and :func:`labels_from_custom_metadata`.
"""

from sfshield.classification._files import load_classification, parse_classification
from sfshield.classification._labels import (
    Action,
    ComplianceGroup,
    FieldLabel,
    Purpose,
    Sensitivity,
    merge_labels,
    sensitivity_rank,
)
from sfshield.classification._metadata import (
    CustomMetadataFields,
    labels_from_custom_metadata,
    labels_from_field_definitions,
)
from sfshield.classification._policy import (
    STANDARD_RELATIONSHIPS,
    Classification,
    Decision,
    DecisionReason,
    Rule,
)

__all__ = [
    "STANDARD_RELATIONSHIPS",
    "Action",
    "Classification",
    "ComplianceGroup",
    "CustomMetadataFields",
    "Decision",
    "DecisionReason",
    "FieldLabel",
    "Purpose",
    "Rule",
    "Sensitivity",
    "labels_from_custom_metadata",
    "labels_from_field_definitions",
    "load_classification",
    "merge_labels",
    "parse_classification",
    "sensitivity_rank",
]
