from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from sfshield.classification import (
    Action,
    ComplianceGroup,
    FieldLabel,
    Purpose,
    Sensitivity,
    merge_labels,
    sensitivity_rank,
)
from sfshield.classification._labels import MOST_SENSITIVE_RANK

KNOWN_LEVELS = [level.value for level in Sensitivity]
CUSTOM_LEVELS = ["TopSecret", "Board Only", "HighlyRestricted"]

levels = st.sampled_from([*KNOWN_LEVELS, *CUSTOM_LEVELS, None])
NAMES = ["PII", "GDPR", "HIPAA", "ip", "commercial-terms", "Custom_Group"]
names = st.lists(st.sampled_from(NAMES), max_size=4)


def _expected_rank(level: str | None) -> int:
    return KNOWN_LEVELS.index(level) if level in KNOWN_LEVELS else MOST_SENSITIVE_RANK


class TestSensitivityRank:
    @pytest.mark.parametrize(("level", "rank"), [(level, rank) for rank, level in enumerate(KNOWN_LEVELS)])
    def test_known_levels_rank_in_salesforce_order(self, level: str, rank: int) -> None:
        """Salesforce's levels rank Public < Internal < Confidential < Restricted < MissionCritical."""
        assert sensitivity_rank(level) == rank

    @pytest.mark.parametrize(("level", "rank"), [("confidential", 2), ("MISSIONCRITICAL", 4), ("pUbLiC", 0)])
    def test_rank_ignores_case(self, level: str, rank: int) -> None:
        """A known level is ranked whatever its letter case."""
        assert sensitivity_rank(level) == rank

    @pytest.mark.parametrize("level", [*CUSTOM_LEVELS, "", "Mission Critical"])
    def test_unknown_org_levels_rank_above_mission_critical(self, level: str) -> None:
        """An org-custom level sfshield does not know ranks as the most sensitive, above MissionCritical."""
        assert sensitivity_rank(level) == MOST_SENSITIVE_RANK
        assert sensitivity_rank(level) > sensitivity_rank(Sensitivity.MISSION_CRITICAL)

    def test_missing_level_ranks_above_mission_critical(self) -> None:
        """A field without a level ranks as the most sensitive (fail closed)."""
        assert sensitivity_rank(None) == MOST_SENSITIVE_RANK > sensitivity_rank("MissionCritical")

    def test_enum_members_rank_like_their_values(self) -> None:
        """A Sensitivity member and its string value have the same rank."""
        assert [sensitivity_rank(level) for level in Sensitivity] == list(range(len(Sensitivity)))


class TestFieldLabel:
    @pytest.mark.parametrize(
        ("given_level", "canonical"),
        [
            ("confidential", "Confidential"),
            ("CONFIDENTIAL", "Confidential"),
            ("  restricted ", "Restricted"),
            ("missioncritical", "MissionCritical"),
            (Sensitivity.PUBLIC, "Public"),
        ],
    )
    def test_known_levels_are_canonicalised(self, given_level: str, canonical: str) -> None:
        """A known level in any case or with surrounding blanks is stored in Salesforce's spelling."""
        assert FieldLabel(sensitivity=given_level).sensitivity == canonical

    def test_custom_levels_are_kept_as_given_but_stripped(self) -> None:
        """An org-custom level is kept verbatim apart from surrounding blanks."""
        assert FieldLabel(sensitivity=" TopSecret ").sensitivity == "TopSecret"

    @pytest.mark.parametrize("blank", ["", "   ", None])
    def test_blank_levels_mean_no_level(self, blank: str | None) -> None:
        """An empty or blank level is the same as no level."""
        assert FieldLabel(sensitivity=blank).sensitivity is None

    def test_rank_of_a_custom_level_is_the_most_sensitive(self) -> None:
        """The rank property ranks an unknown level above MissionCritical."""
        assert FieldLabel(sensitivity="TopSecret").rank == MOST_SENSITIVE_RANK
        assert FieldLabel(sensitivity="Internal").rank == 1

    def test_semicolon_joined_compliance_is_split_and_sorted(self) -> None:
        """A ;-joined compliance string, as Salesforce returns it, becomes a sorted tuple of groups."""
        assert FieldLabel(compliance="PII;GDPR").compliance == ("GDPR", "PII")

    def test_compliance_parts_are_stripped_deduplicated_and_blanks_dropped(self) -> None:
        """Blank parts vanish, surrounding blanks are stripped and repeated groups collapse."""
        assert FieldLabel(compliance=" PII ;;GDPR; PII;").compliance == ("GDPR", "PII")

    def test_lists_of_names_are_sorted(self) -> None:
        """Compliance groups and tags given as lists are stored sorted and unique."""
        label = FieldLabel(compliance=["PII", "CCPA", "PII"], tags=["ip", "commercial-terms"])
        assert label.compliance == ("CCPA", "PII")
        assert label.tags == ("commercial-terms", "ip")

    def test_enum_compliance_groups_are_accepted(self) -> None:
        """ComplianceGroup members are accepted and stored as their values."""
        label = FieldLabel(compliance=[ComplianceGroup.HIPAA, ComplianceGroup.PII])
        assert label.compliance == ("HIPAA", "PII")

    @pytest.mark.parametrize(
        ("label", "empty"),
        [
            (FieldLabel(), True),
            (FieldLabel(kind="email"), True),
            (FieldLabel(compliance=";"), True),
            (FieldLabel(sensitivity="Public"), False),
            (FieldLabel(compliance="PII"), False),
            (FieldLabel(tags=["ip"]), False),
        ],
    )
    def test_is_empty_only_when_no_level_group_or_tag(self, label: FieldLabel, empty: bool) -> None:
        """A label is empty when it has no level, no group and no tag; a kind alone says nothing."""
        assert label.is_empty is empty

    def test_labels_are_frozen(self) -> None:
        """A label cannot be changed after it is made."""
        label = FieldLabel(sensitivity="Public")
        with pytest.raises(ValidationError):
            label.sensitivity = "Restricted"  # type: ignore[misc]

    def test_unknown_keys_are_rejected(self) -> None:
        """A misspelt attribute is an error, not silently ignored."""
        with pytest.raises(ValidationError, match="sensitvity"):
            FieldLabel.model_validate({"sensitvity": "Public"})


def _conflicting(first: str | None, second: str | None) -> bool:
    custom = {lvl.casefold() for lvl in (first, second) if lvl is not None and _expected_rank(lvl) == 5}
    return len(custom) > 1


class TestMergeLabels:
    def test_two_different_custom_levels_cannot_be_merged(self) -> None:
        """Two org-custom levels cannot be ordered, so merging them is refused instead of keeping one."""
        with pytest.raises(ValueError, match="org-custom"):
            merge_labels(FieldLabel(sensitivity="Internal-Plus"), FieldLabel(sensitivity="TopSecret"))
        assert merge_labels(FieldLabel(sensitivity="TopSecret"), FieldLabel(sensitivity="topsecret")).rank == 5

    @given(levels, levels)
    def test_merge_never_lowers_a_level(self, first: str | None, second: str | None) -> None:
        """The merged level ranks at least as high as every level either side sets."""
        assume(not _conflicting(first, second))
        merged = merge_labels(FieldLabel(sensitivity=first), FieldLabel(sensitivity=second))
        set_levels = [level for level in (first, second) if level is not None]
        if set_levels:
            assert merged.rank >= max(_expected_rank(level) for level in set_levels)
            assert merged.sensitivity in set_levels
        else:
            assert merged.sensitivity is None

    @given(levels, levels)
    def test_merge_is_order_independent_in_rank(self, first: str | None, second: str | None) -> None:
        """Merging a with b ranks the same as merging b with a."""
        assume(not _conflicting(first, second))
        a, b = FieldLabel(sensitivity=first), FieldLabel(sensitivity=second)
        assert merge_labels(a, b).rank == merge_labels(b, a).rank

    def test_an_unknown_level_beats_mission_critical(self) -> None:
        """An org-custom level wins over MissionCritical from either side."""
        custom, critical = FieldLabel(sensitivity="TopSecret"), FieldLabel(sensitivity="MissionCritical")
        assert merge_labels(custom, critical).sensitivity == "TopSecret"
        assert merge_labels(critical, custom).sensitivity == "TopSecret"

    def test_a_level_left_unset_is_taken_from_the_other_side(self) -> None:
        """When only one side sets a level, the merged label has that level (as documented)."""
        public, internal = FieldLabel(sensitivity="Public"), FieldLabel(sensitivity="Internal")
        assert merge_labels(FieldLabel(compliance="PII"), public).sensitivity == "Public"
        assert merge_labels(internal, FieldLabel(tags=["ip"])).sensitivity == "Internal"

    @given(names, names, names, names)
    def test_merge_unites_groups_and_tags(
        self, first_groups: list[str], second_groups: list[str], first_tags: list[str], second_tags: list[str]
    ) -> None:
        """The merged compliance groups and tags are the sorted unions of both sides."""
        merged = merge_labels(
            FieldLabel(compliance=first_groups, tags=first_tags),
            FieldLabel(compliance=second_groups, tags=second_tags),
        )
        assert merged.compliance == tuple(sorted({*first_groups, *second_groups}))
        assert merged.tags == tuple(sorted({*first_tags, *second_tags}))

    def test_second_kind_wins_when_set(self) -> None:
        """The second label's kind wins; when it has none, the first label's kind is kept."""
        assert merge_labels(FieldLabel(kind="email"), FieldLabel(kind="phone")).kind == "phone"
        assert merge_labels(FieldLabel(kind="email"), FieldLabel()).kind == "email"


class TestAction:
    def test_strictness_orders_keep_mask_pseudonymize_encrypt_drop(self) -> None:
        """Actions order keep < mask < pseudonymize < encrypt < drop by strictness."""
        ordered = [Action.KEEP, Action.MASK, Action.PSEUDONYMIZE, Action.ENCRYPT, Action.DROP]
        assert [action.strictness for action in ordered] == [0, 1, 2, 3, 4]
        assert sorted(Action, key=lambda action: action.strictness) == ordered

    def test_actions_parse_from_their_policy_spelling(self) -> None:
        """Each action is spelt in lower case in policy files."""
        spellings = ("keep", "mask", "pseudonymize", "encrypt", "drop")
        assert [Action(value) for value in spellings] == list(Action)


class TestPurpose:
    def test_built_in_purposes(self) -> None:
        """The built-in purposes are inference, embedding, training, fine_tuning, analytics and sync."""
        expected = ["inference", "embedding", "training", "fine_tuning", "analytics", "sync"]
        assert [p.value for p in Purpose] == expected
