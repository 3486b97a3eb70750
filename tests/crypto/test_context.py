"""The encryption context's fast per-record copy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.crypto import EncryptionContext

_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True).filter(lambda key: key != "record_id")
_VALUES = st.text(min_size=1, max_size=40)
_RECORD_IDS = st.text(min_size=1, max_size=40)


class TestWithRecord:
    @given(st.dictionaries(_KEYS, _VALUES, max_size=6), _RECORD_IDS)
    def test_encodes_like_a_fresh_context_wherever_record_id_sorts(self, extra: dict[str, str], record_id: str) -> None:
        """The copy's pairs, order, aad, scope and hash equal those of a context built with the record id."""
        base = EncryptionContext({"tenant": "acme", "purpose": "support", **extra})
        copy = base.with_record(record_id)
        fresh = EncryptionContext({**base, "record_id": record_id})
        assert copy.aad == fresh.aad
        assert list(copy.items()) == list(fresh.items())
        assert (copy.tenant, copy.purpose, copy.scope) == (fresh.tenant, fresh.purpose, fresh.scope)
        assert hash(copy) == hash(fresh)

    def test_copies_are_independent_and_can_be_rebound(self) -> None:
        """Two copies differ only in their record id, and a copy bound again takes the new id."""
        base = EncryptionContext(tenant="acme", purpose="support", sobject="Contact", field="Email")
        first, second = base.with_record("003A"), base.with_record("003B")
        assert (first["record_id"], second["record_id"]) == ("003A", "003B")
        assert first.with_record("003C") == base.with_record("003C")
        assert "record_id" not in base

    def test_copies_are_immutable(self) -> None:
        """A copy refuses attribute assignment like any context."""
        with pytest.raises(AttributeError, match="immutable"):
            EncryptionContext(tenant="acme", purpose="support").with_record("003A").aad = b""  # type: ignore[misc]

    @pytest.mark.parametrize("record_id", ["", "x" * 1025, 3])
    def test_bad_record_ids_are_refused(self, record_id: object) -> None:
        """An empty, overlong or non-text record id is refused."""
        with pytest.raises(ValueError, match="record_id"):
            EncryptionContext(tenant="acme", purpose="support").with_record(record_id)  # type: ignore[arg-type]
