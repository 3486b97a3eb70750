"""Masks and keyed pseudonyms."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.transforms import Pseudonymizer, PseudonymKey, mask_value


class TestPseudonyms:
    @given(st.text(min_size=1))
    def test_pseudonyms_are_stable_for_one_key(self, value: str) -> None:
        """The same value and kind give the same pseudonym across pseudonymizer instances (and so across runs)."""
        key = b"\x01" * 32
        assert Pseudonymizer(PseudonymKey(key))(value, kind="email") == Pseudonymizer(PseudonymKey(key))(
            value, kind="email"
        )

    @given(st.text(min_size=1))
    def test_pseudonyms_differ_per_tenant_key(self, value: str) -> None:
        """Two tenants' keys give different pseudonyms for the same value."""
        a = Pseudonymizer(PseudonymKey(b"\x01" * 32))(value, kind="name")
        b = Pseudonymizer(PseudonymKey(b"\x02" * 32))(value, kind="name")
        assert a != b

    def test_pseudonyms_are_prefixed_by_kind(self) -> None:
        """A pseudonym starts with its kind, so a reader knows what was replaced."""
        assert Pseudonymizer(PseudonymKey.generate())("+1 555 0100", kind="phone").startswith("phone_")

    def test_a_lookalike_made_with_another_key_is_pseudonymized_again(self) -> None:
        """Only pseudonyms made under the same key are recognised and left alone."""
        foreign = Pseudonymizer(PseudonymKey(b"\x02" * 32))("x", kind="email")
        own = Pseudonymizer(PseudonymKey(b"\x01" * 32))
        assert own(foreign, kind="email") != foreign
        assert own(own(foreign, kind="email"), kind="email") == own(foreign, kind="email")

    def test_email_pseudonyms_ignore_case(self) -> None:
        """Email addresses differing only in case map to one pseudonym."""
        p = Pseudonymizer(PseudonymKey.generate())
        assert p("Ann@Example.com", kind="email") == p("ann@example.com", kind="email")


class TestPseudonymKey:
    def test_the_key_never_appears_in_repr_and_cannot_be_pickled(self) -> None:
        """A key's repr hides its value and pickling is refused."""
        key = PseudonymKey(bytes(range(32)))
        assert bytes(range(32)).hex() not in repr(key)
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(key)

    @pytest.mark.parametrize("text", ["zz" * 32, "ab" * 8, ""])
    def test_bad_hex_keys_are_refused_without_echoing_them(self, text: str) -> None:
        """A malformed or short hex key raises ValueError that does not echo the text."""
        with pytest.raises(ValueError, match=r"hex|bytes") as caught:
            PseudonymKey.from_hex(text)
        assert not text or text not in str(caught.value)


class TestMask:
    @given(st.text(), st.integers(0, 8))
    def test_masks_keep_length_show_at_most_half_and_are_idempotent(self, value: str, keep_last: int) -> None:
        """A masked string keeps its length, reveals at most half of it, and masking again changes nothing."""
        masked = mask_value(value, keep_last=keep_last)
        assert len(masked) == len(value)
        assert len(masked.lstrip("*")) <= len(value) // 2 or set(value) <= {"*"}
        assert mask_value(masked, keep_last=keep_last) == masked

    def test_card_numbers_keep_their_last_four(self) -> None:
        """A card number masked with keep_last=4 shows only its last four digits."""
        assert mask_value("4111111111111111", keep_last=4) == "************1111"

    @pytest.mark.parametrize("value", [42, 3.5, True])
    def test_non_text_values_are_withheld(self, value: object) -> None:
        """Numbers and booleans are masked to None rather than to a fake number."""
        assert mask_value(value) is None
