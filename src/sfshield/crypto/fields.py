"""FieldCipher: the envelope cipher behind the filter's ``encrypt`` action.

A field value is encrypted to the text form ``sf1:<base64url envelope>`` (see :mod:`sfshield.crypto.envelope`),
bound to tenant, purpose, object, field and record id (RND). Fields mapped to a join domain are encrypted
deterministically instead, bound to tenant, purpose and domain, so equal values stay joinable across objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NoReturn

from sfshield.crypto import envelope
from sfshield.crypto.context import EncryptionContext
from sfshield.exceptions import DecryptionError

if TYPE_CHECKING:
    from sfshield.crypto.cipher import EnvelopeCipher
    from sfshield.protocols import FieldContext

__all__ = ["FieldCipher"]


class FieldCipher:
    """Encrypts record field values to ``sf1:`` text; a :class:`~sfshield.protocols.FieldEncryptor`.

    Build it with :meth:`EnvelopeCipher.for_fields`. ``Shield(encryptor=cipher)`` accepts an
    :class:`~sfshield.crypto.EnvelopeCipher` directly and builds one with no join domains.

    Raises:
        ValueError: a join-domain mapping names a domain the cipher does not declare.
    """

    def __init__(self, cipher: EnvelopeCipher, *, join_domains: Mapping[str, str]) -> None:
        for path, domain in join_domains.items():
            if domain not in cipher.domains:
                raise ValueError(f"{path} is mapped to join domain {domain!r}, which the cipher does not declare")
        self._cipher = cipher
        self._join = dict(join_domains)
        # Per (tenant, purpose, object, field): the context every value of that column shares, and whether the
        # column is joinable (deterministic). Values bind their record id to it (RND) or use it as it is (DET).
        self._columns: dict[tuple[str, str, str, str], tuple[EncryptionContext, bool]] = {}

    def __repr__(self) -> str:
        return f"FieldCipher(join_domains={self._join!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a FieldCipher holds unwrapped data keys and cannot be pickled")

    @property
    def cipher(self) -> EnvelopeCipher:
        """The envelope cipher behind it."""
        return self._cipher

    def context_for(self, context: FieldContext, /) -> EncryptionContext:
        """The encryption context a field value is bound to (deterministic fields: without object, field, record)."""
        base, joinable = self._column(context)
        if context.record_id and not joinable:
            return base.with_record(context.record_id)
        return base

    def encrypt(self, plaintext: bytes, /, *, context: FieldContext) -> str:
        """The ``sf1:`` text of ``plaintext``, bound to the field's context."""
        base, joinable = self._column(context)
        if joinable:
            return envelope.to_text(self._cipher.encrypt_deterministic(plaintext, context=base))
        ctx = base.with_record(context.record_id) if context.record_id else base
        return envelope.to_text(self._cipher.encrypt(plaintext, context=ctx))

    def for_column(self, context: FieldContext, /) -> Callable[[str, str | None], str]:
        """The encrypt function of one column (``context`` without a record id), for many values in a row.

        It takes a value's text and its record id (or ``None``) and returns what :meth:`encrypt` returns for the
        text's UTF-8 bytes, except that a text which already is a ciphertext for that record's context is
        returned as it is (:meth:`is_encrypted`). The column's key and context are looked up once, not per value:
        the filter's ``encrypt`` action uses it.
        """
        base, joinable = self._column(context)
        cipher, to_text, prefix = self._cipher, envelope.to_text, envelope.TEXT_PREFIX
        column = dataclasses.replace(context, record_id=None)

        def already(text: str, record_id: str | None) -> bool:
            return self.is_encrypted(text, context=dataclasses.replace(column, record_id=record_id))

        if joinable:
            deterministic = cipher.encrypt_deterministic

            def seal_joinable(text: str, record_id: str | None) -> str:
                if text.startswith(prefix) and already(text, record_id):
                    return text
                return to_text(deterministic(text.encode(), context=base))

            return seal_joinable
        encrypt, with_record = cipher.encrypt, base.with_record

        def seal(text: str, record_id: str | None) -> str:
            if text.startswith(prefix) and already(text, record_id):
                return text
            return to_text(encrypt(text.encode(), context=with_record(record_id) if record_id else base))

        return seal

    def _column(self, context: FieldContext) -> tuple[EncryptionContext, bool]:
        key = (context.tenant, context.purpose, context.sobject, context.field)
        column = self._columns.get(key)
        if column is None:
            domain = self._join.get(f"{context.sobject}.{context.field}")
            if domain is not None:
                base = EncryptionContext(tenant=context.tenant, purpose=context.purpose, domain=domain)
            else:
                base = EncryptionContext(
                    tenant=context.tenant, purpose=context.purpose, sobject=context.sobject, field=context.field
                )
            column = self._columns[key] = (base, domain is not None)
        return column

    def decrypt(self, text: str, /, *, context: FieldContext) -> bytes:
        """The plaintext of an ``sf1:`` text.

        Raises:
            DecryptionError: ``text`` is not a ciphertext for this context.
        """
        blob = envelope.from_text(text)
        if blob is None:
            raise DecryptionError
        return self._cipher.decrypt(blob, context=self.context_for(context))

    def is_encrypted(self, text: str, /, *, context: FieldContext) -> bool:
        """Whether ``text`` is a genuine ciphertext for this context (authenticated, not just a prefix)."""
        if not text.startswith(envelope.TEXT_PREFIX):
            return False
        try:
            self.decrypt(text, context=context)
        except DecryptionError:
            return False
        return True
