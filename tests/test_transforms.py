"""Masks and keyed pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
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


_FROZEN_KEY = bytes(range(32))
_FROZEN = [
    ("Ada Lovelace", "name", "name_63a77c57b48fc7aef59451dfd2"),
    ("  Ada@Example.COM ", "email", "email_ef16e6c0da7efcac0490a3f00f"),
    ("ada@example.com", "Email", "email_ef16e6c0da7efcac0490a3f00f"),
    (42, "Account Number", "account_number_89bc3f1f3692f48203d22d699b"),
    ({"city": "Paris", "zip": "75001"}, "address", "address_b69e3d3938a2debf926c7a4132"),
    (True, "flag", "flag_58c0801b5cd94f6fa37a50f335"),
    ("x", "!!!", "value_ae87257594550c658a6c86a172"),
    ("0035g00000ABCDEAA2", "Contact.Id", "contact_id_69ec60582f4019c9939bd95f78"),
    ("name_63a77c57b48fc7aef59451dfd2", "email", "email_0e43e73563a4781a69aeeb0ff5"),
    ("name_63a77c57b48fc7aef59451dfd2", "name", "name_63a77c57b48fc7aef59451dfd2"),
    ("name_63a77c57b48fc7aef59451dfd3", "name", "name_510c07eb1c6c8a85b2ca166e44"),
]
"""Pseudonyms under a fixed key, recorded once: the format and the bytes hashed must never change."""


class TestFrozenPseudonyms:
    @pytest.mark.parametrize(("value", "kind", "expected"), _FROZEN)
    def test_pseudonyms_match_the_recorded_ones(self, value: object, kind: str, expected: str) -> None:
        """Each value gives the pseudonym recorded for it; an own pseudonym of the same kind is left alone."""
        assert Pseudonymizer(PseudonymKey(_FROZEN_KEY))(value, kind=kind) == expected


class TestPseudonymKey:
    def test_the_key_never_appears_in_repr_and_cannot_be_pickled(self) -> None:
        """A key's repr hides its value and pickling is refused."""
        key = PseudonymKey(bytes(range(32)))
        assert bytes(range(32)).hex() not in repr(key)
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(key)

    @given(key=st.binary(min_size=32, max_size=200), prefix=st.binary(max_size=80), message=st.binary(max_size=300))
    def test_a_pseudonym_key_computes_the_standard_hmac(self, key: bytes, prefix: bytes, message: bytes) -> None:
        """Pseudonyms hash with HMAC-SHA256 of prefix + value (RFC 2104), keys longer than a block included."""
        made = PseudonymKey(key)._prefixed(prefix)
        assert made.hexdigest(message) == hmac.new(key, prefix + message, hashlib.sha256).hexdigest()
        assert key.hex() not in repr(made)

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
