"""The envelope cipher behind the filter's ``encrypt`` action: bound to record and field, joinable when asked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield import Shield
from sfshield.audit import AuditPipeline, InMemoryAuditSink, KeyOperation
from sfshield.classification import Classification
from sfshield.crypto import EnvelopeCipher, FieldCipher, JoinDomain, Normalization
from sfshield.exceptions import DecryptionError, ShieldError
from sfshield.protocols import FieldContext, FieldEncryptor
from sfshield.testing import InMemoryKeyProvider

POLICY = Classification(
    version="2026.2",
    labels={
        "*.Id": {"sensitivity": "Public"},
        "*.Email": {"sensitivity": "Confidential", "compliance": ["PII"], "kind": "email"},
        "Contact.Phone": {"sensitivity": "Confidential", "compliance": ["PII"], "kind": "phone"},
        "Lead.Company": {"sensitivity": "Internal"},
    },
    rules=[
        {"name": "ids", "purposes": ["*"], "max_sensitivity": "Internal", "action": "keep"},
        {"name": "pii", "purposes": ["*"], "compliance": ["PII"], "action": "encrypt"},
    ],
)


def _contact(record_id: str, email: str) -> dict[str, object]:
    return {"attributes": {"type": "Contact"}, "Id": record_id, "Email": email, "Phone": "+1 415 555 0100"}


@pytest.fixture
def cipher() -> EnvelopeCipher:
    return EnvelopeCipher(InMemoryKeyProvider(), domains=[JoinDomain("email", Normalization.CASEFOLD)])


def test_shield_accepts_the_envelope_cipher_and_binds_each_value_to_its_record(cipher: EnvelopeCipher) -> None:
    shield = Shield(POLICY, tenant="acme", audit=InMemoryAuditSink(), encryptor=cipher)
    (a, b) = shield.protect(
        [_contact("003000000000001AAA", "ann@x.io"), _contact("003000000000002AAA", "ann@x.io")], purpose="embedding"
    ).records
    assert isinstance(a["Email"], str)
    assert a["Email"].startswith("sf1:")
    assert a["Email"] != b["Email"]  # random mode: equal values do not look equal
    fields = cipher.for_fields()
    ctx_a = FieldContext("acme", "Contact", "Email", "embedding", "003000000000001AAA")
    assert fields.decrypt(a["Email"], context=ctx_a) == b"ann@x.io"
    # moved to the other record, or to the Phone field: refused
    with pytest.raises(DecryptionError):
        fields.decrypt(a["Email"], context=FieldContext("acme", "Contact", "Email", "embedding", "003000000000002AAA"))
    with pytest.raises(DecryptionError):
        fields.decrypt(a["Email"], context=FieldContext("acme", "Contact", "Phone", "embedding", "003000000000001AAA"))


def test_refiltering_never_encrypts_twice(cipher: EnvelopeCipher) -> None:
    shield = Shield(POLICY, tenant="acme", audit=InMemoryAuditSink(), encryptor=cipher)
    once = shield.protect([_contact("003000000000001AAA", "ann@x.io")], purpose="embedding").records
    twice = shield.protect(once, purpose="embedding", sobject="Contact").records
    assert twice == once


def test_a_ciphertext_moved_to_another_record_is_encrypted_again_and_stays_bound(cipher: EnvelopeCipher) -> None:
    """Only a ciphertext of this very record passes as it is; one copied from another record is encrypted over."""
    shield = Shield(POLICY, tenant="acme", audit=InMemoryAuditSink(), encryptor=cipher)
    (first,) = shield.protect([_contact("003000000000001AAA", "ann@x.io")], purpose="embedding").records
    moved = _contact("003000000000002AAA", str(first["Email"]))
    (second,) = shield.protect([moved], purpose="embedding").records
    assert second["Email"] != first["Email"]
    ctx = FieldContext("acme", "Contact", "Email", "embedding", "003000000000002AAA")
    assert cipher.for_fields().decrypt(str(second["Email"]), context=ctx) == str(first["Email"]).encode()


def test_a_forged_marker_is_encrypted_not_trusted(cipher: EnvelopeCipher) -> None:
    shield = Shield(POLICY, tenant="acme", audit=InMemoryAuditSink(), encryptor=cipher)
    forged = "sf1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    (out,) = shield.protect([_contact("003000000000001AAA", forged)], purpose="embedding").records
    assert out["Email"] != forged
    fields = cipher.for_fields()
    ctx = FieldContext("acme", "Contact", "Email", "embedding", "003000000000001AAA")
    assert fields.decrypt(str(out["Email"]), context=ctx) == forged.encode()


def test_join_domains_make_fields_equal_across_objects(cipher: EnvelopeCipher) -> None:
    fields = cipher.for_fields(join_domains={"Contact.Email": "email", "Lead.Email": "email"})
    shield = Shield(POLICY, tenant="acme", audit=InMemoryAuditSink(), encryptor=fields)
    (contact,) = shield.protect([_contact("003000000000001AAA", "Ann@X.io")], purpose="embedding").records
    lead = {"attributes": {"type": "Lead"}, "Id": "00Q000000000001AAA", "Email": "ann@x.io ", "Company": "X"}
    (lead_out,) = shield.protect([lead], purpose="embedding").records
    assert contact["Email"] == lead_out["Email"]
    assert contact["Phone"] != "+1 415 555 0100"  # not in a domain: random, bound to the record
    other_purpose = shield.protect([lead], purpose="training").records[0]
    assert other_purpose["Email"] != lead_out["Email"]


def test_key_operations_are_audited_once_per_key_not_per_value() -> None:
    sink = InMemoryAuditSink()
    cipher = EnvelopeCipher(InMemoryKeyProvider(), audit=AuditPipeline(sinks=[sink]))
    shield = Shield(POLICY, tenant="acme", audit=InMemoryAuditSink(), encryptor=cipher)
    shield.protect([_contact(f"0030000000000{i:02d}AAA", "a@x.io") for i in range(50)], purpose="embedding")
    events = [e for e in sink.events if isinstance(e, KeyOperation)]
    assert [(e.operation, e.tenant, e.key_ids) for e in events] == [("create", "acme", (1,))]


def test_field_cipher_satisfies_the_protocol_and_refuses_unknown_domains(cipher: EnvelopeCipher) -> None:
    assert isinstance(cipher.for_fields(), FieldEncryptor)
    with pytest.raises(ValueError, match="does not declare"):
        FieldCipher(cipher, join_domains={"Contact.Email": "iban"})


@given(value=st.text(max_size=300), record=st.from_regex(r"003[0-9A-Za-z]{15}", fullmatch=True))
def test_field_values_round_trip_through_text(value: str, record: str) -> None:
    fields = _SHARED.for_fields()
    ctx = FieldContext("acme", "Contact", "Description", "training", record)
    text = fields.encrypt(value.encode(), context=ctx)
    assert text.isascii()
    assert fields.is_encrypted(text, context=ctx)
    assert not fields.is_encrypted(text, context=FieldContext("acme", "Contact", "Description", "training"))
    assert fields.decrypt(text, context=ctx) == value.encode()


_SHARED = EnvelopeCipher(InMemoryKeyProvider())


class _Id(str):
    """A str subclass, as some record sources give Ids."""


def test_a_str_subclass_id_still_binds_the_value_to_its_record(cipher: EnvelopeCipher) -> None:
    shield = Shield(POLICY, tenant="acme", audit=InMemoryAuditSink(), encryptor=cipher)
    (out,) = shield.protect([_contact(_Id("003000000000001AAA"), "ann@x.io")], purpose="embedding").records
    ctx = FieldContext("acme", "Contact", "Email", "embedding", "003000000000001AAA")
    assert cipher.for_fields().decrypt(str(out["Email"]), context=ctx) == b"ann@x.io"
    with pytest.raises(DecryptionError):
        cipher.for_fields().decrypt(str(out["Email"]), context=FieldContext("acme", "Contact", "Email", "embedding"))


def test_a_field_cipher_subclass_keeps_its_own_encrypt(cipher: EnvelopeCipher) -> None:
    """Only sfshield's own FieldCipher takes the per-column fast path: an override is always called."""
    calls: list[str] = []

    class Audited(FieldCipher):
        def encrypt(self, plaintext: bytes, /, *, context: FieldContext) -> str:
            calls.append(context.field)
            return super().encrypt(plaintext, context=context)

    shield = Shield(POLICY, tenant="acme", audit=InMemoryAuditSink(), encryptor=Audited(cipher, join_domains={}))
    shield.protect([_contact("003000000000001AAA", "ann@x.io")], purpose="embedding")
    assert calls == ["Email", "Phone"]


@pytest.mark.parametrize("value", ["card 4111111111111111 \ud800", {("tuple", "key"): 1}])
def test_a_value_that_cannot_be_encrypted_leaves_no_trace_of_itself(cipher: EnvelopeCipher, value: object) -> None:
    """Neither the error, its cause nor its context holds the value (a UnicodeEncodeError would quote it whole)."""
    for encryptor in (cipher.for_fields(), _Passthrough(cipher.for_fields())):
        shield = Shield(POLICY, tenant="acme", audit=InMemoryAuditSink(), encryptor=encryptor)
        with pytest.raises(ShieldError) as caught:
            shield.protect([_contact("003000000000001AAA", value)], purpose="embedding")  # type: ignore[arg-type]
        chain: BaseException | None = caught.value
        while chain is not None:
            assert "4111" not in str(chain) and "4111" not in repr(getattr(chain, "object", ""))
            chain = chain.__cause__ or chain.__context__


class _Passthrough:
    """A FieldEncryptor that hands every call to a FieldCipher (not one itself: the generic path)."""

    def __init__(self, inner: FieldCipher) -> None:
        self._inner = inner

    def encrypt(self, plaintext: bytes, /, *, context: FieldContext) -> str:
        return self._inner.encrypt(plaintext, context=context)

    def is_encrypted(self, text: str, /, *, context: FieldContext) -> bool:
        return self._inner.is_encrypted(text, context=context)
