"""The encryption context: where a value lives, bound to its ciphertext as associated data and never stored.

Every ciphertext sfshield makes is bound to a context — at least the tenant (whose keys are used) and the purpose,
and for field values the object, the field and, where it exists, the record id. The decryptor rebuilds the same
context from where it found the value (the record, the event, the token's owner); nothing of it is written into
the ciphertext. A value copied to another tenant, object, field, record or purpose therefore fails to decrypt.

Canonical form (the bytes that are authenticated, after the envelope header)::

    LP("sfshield/v1") ‖ count (1 byte) ‖ LP(key₁) ‖ LP(value₁) ‖ … ‖ LP(keyₙ) ‖ LP(valueₙ)

with the pairs sorted by key and ``LP(x)`` = 2-byte big-endian length ‖ UTF-8 bytes. Keys are lower-case
identifiers; values are non-empty text of at most 1,024 characters. There is no JSON and no escaping, so two
different contexts can never produce the same bytes. ``object`` is accepted as an alias of ``sobject``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, NamedTuple

from sfshield.protocols import FieldContext

__all__ = ["EncryptionContext"]

_DOMAIN_TAG: Final = b"sfshield/v1"
_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")
_MAX_VALUE_CHARS: Final = 1024
_MAX_PAIRS: Final = 32
_ALIASES: Final = {"object": "sobject"}


def _lp(data: bytes) -> bytes:
    return len(data).to_bytes(2, "big") + data


class EncryptionContext(Mapping[str, str]):
    """An immutable, validated encryption context with its canonical associated-data bytes computed once.

    Build it once per (tenant, object, field, purpose) and reuse it: the cipher's fast path takes the
    precomputed bytes. A plain ``dict`` is accepted wherever a context is, at the cost of validating it on
    every call.

    >>> ctx = EncryptionContext(tenant="acme", purpose="training", sobject="Contact", field="Email")
    >>> ctx["sobject"], len(ctx)
    ('Contact', 4)
    >>> ctx.with_record("0035g00000ABCDEAA2")["record_id"]
    '0035g00000ABCDEAA2'

    Raises:
        ValueError: ``tenant`` or ``purpose`` is missing, a key is not a lower-case identifier, a value is
            empty or longer than 1,024 characters, or there are more than 32 pairs.
    """

    __slots__ = ("_pairs", "_split", "aad", "purpose", "scope", "tenant")

    tenant: str
    """The tenant whose keys are used."""
    purpose: str
    """The purpose (a separate key per purpose)."""
    _pairs: dict[str, str]
    aad: bytes
    """The canonical associated-data bytes (without the envelope header)."""
    scope: tuple[str, str]
    """``(tenant, purpose)``: which keys the context selects."""
    _split: _RecordSplit | None

    def __init__(self, pairs: Mapping[str, str] | None = None, /, **kwargs: str) -> None:
        merged: dict[str, str] = {}
        for source in (pairs or {}, kwargs):
            for raw_key, value in source.items():
                key = _ALIASES.get(raw_key, raw_key)
                if key in merged:
                    raise ValueError(f"context key {key!r} is given twice")
                merged[key] = value
        _validate(merged)
        ordered = dict(sorted(merged.items()))
        self._set(ordered, _encode(ordered))

    def _set(self, ordered: dict[str, str], aad: bytes) -> None:
        object.__setattr__(self, "_pairs", ordered)
        object.__setattr__(self, "aad", aad)
        object.__setattr__(self, "tenant", ordered["tenant"])
        object.__setattr__(self, "purpose", ordered["purpose"])
        object.__setattr__(self, "scope", (ordered["tenant"], ordered["purpose"]))
        object.__setattr__(self, "_split", None)

    @classmethod
    def of(cls, context: Mapping[str, str] | FieldContext, /) -> EncryptionContext:
        """Return ``context`` as an :class:`EncryptionContext` (itself when it already is one)."""
        if isinstance(context, EncryptionContext):
            return context
        if isinstance(context, FieldContext):
            return cls.for_field(context)
        if not isinstance(context, Mapping):
            raise TypeError(f"context must be a mapping of str to str, not {type(context).__name__}")
        return cls(context)

    @classmethod
    def for_field(cls, context: FieldContext, /) -> EncryptionContext:
        """The context of one field value: tenant, purpose, object, field and the record id when there is one."""
        pairs = {"tenant": context.tenant, "purpose": context.purpose, "sobject": context.sobject}
        pairs["field"] = context.field
        if context.record_id:
            pairs["record_id"] = context.record_id
        return cls(pairs)

    def with_record(self, record_id: str, /) -> EncryptionContext:
        """A copy bound to one record id as well (fast: the rest of the encoding is reused)."""
        if "record_id" in self._pairs:
            return self.replace(record_id=record_id)
        if not isinstance(record_id, str) or not record_id or len(record_id) > _MAX_VALUE_CHARS:
            raise ValueError(f"context value for 'record_id' must be 1 to {_MAX_VALUE_CHARS} characters")
        split = self._split or self._split_at_record()
        clone = EncryptionContext.__new__(EncryptionContext)
        _set_pairs(clone, {**split.before, "record_id": record_id, **split.after})
        _set_aad(clone, split.head + _lp(record_id.encode()) + split.tail)
        _set_tenant(clone, self.tenant)
        _set_purpose(clone, self.purpose)
        _set_scope(clone, self.scope)
        _set_split(clone, None)
        return clone

    def _split_at_record(self) -> _RecordSplit:
        """Encode once what comes before and after a ``record_id`` pair, for :meth:`with_record`."""
        before = {k: v for k, v in self._pairs.items() if k < "record_id"}
        after = {k: v for k, v in self._pairs.items() if k > "record_id"}
        count = (len(self._pairs) + 1).to_bytes(1, "big")
        head = _lp(_DOMAIN_TAG) + count + _encode_pairs(before) + _RECORD_KEY
        split = _RecordSplit(before, after, head, _encode_pairs(after))
        object.__setattr__(self, "_split", split)
        return split

    def replace(self, **changes: str | None) -> EncryptionContext:
        """A copy with some keys changed; a value of ``None`` removes the key."""
        pairs = dict(self._pairs)
        for raw_key, value in changes.items():
            key = _ALIASES.get(raw_key, raw_key)
            if value is None:
                pairs.pop(key, None)
            else:
                pairs[key] = value
        return EncryptionContext(pairs)

    def __getitem__(self, key: str) -> str:
        return self._pairs[_ALIASES.get(key, key)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and _ALIASES.get(key, key) in self._pairs

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EncryptionContext):
            return self.aad == other.aad
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(self.aad)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("EncryptionContext is immutable; use replace()")

    def __repr__(self) -> str:
        # Context values are ids and names (tenant, object, field, record id, purpose), not secrets.
        inner = ", ".join(f"{key}={value!r}" for key, value in self._pairs.items())
        return f"EncryptionContext({inner})"

    def __reduce__(self) -> tuple[type[EncryptionContext], tuple[dict[str, str]]]:
        return (type(self), (dict(self._pairs),))


_RECORD_KEY: Final = _lp(b"record_id")


# with_record() runs once per encrypted value: it fills a clone's slots through their descriptors, skipping the
# immutability guard in __setattr__ and the sorting and validation of __init__ (its parts are already valid).
def _slot_setter(name: str) -> Callable[[EncryptionContext, Any], None]:
    setter: Callable[[EncryptionContext, Any], None] = EncryptionContext.__dict__[name].__set__
    return setter


_set_pairs = _slot_setter("_pairs")
_set_aad = _slot_setter("aad")
_set_tenant = _slot_setter("tenant")
_set_purpose = _slot_setter("purpose")
_set_scope = _slot_setter("scope")
_set_split = _slot_setter("_split")


class _RecordSplit(NamedTuple):
    """A context's pairs around where ``record_id`` sorts, and its encoding up to that value and after it."""

    before: dict[str, str]
    after: dict[str, str]
    head: bytes
    """Domain tag, pair count (one more), the pairs before and the ``record_id`` key."""
    tail: bytes
    """The pairs after."""


def _encode_pairs(ordered: dict[str, str]) -> bytes:
    return b"".join(_lp(key.encode()) + _lp(value.encode()) for key, value in ordered.items())


def _encode(ordered: dict[str, str]) -> bytes:
    return _lp(_DOMAIN_TAG) + len(ordered).to_bytes(1, "big") + _encode_pairs(ordered)


def _is_key(key: str) -> bool:
    """``[a-z][a-z0-9_]{0,63}``: one regular-expression match (``typing`` has imported ``re`` already)."""
    return _KEY.fullmatch(key) is not None


def _validate(pairs: dict[str, str]) -> None:
    for required in ("tenant", "purpose"):
        if required not in pairs:
            raise ValueError(
                f"an encryption context needs {required!r}: every ciphertext is bound to a tenant and a purpose"
            )
    if len(pairs) > _MAX_PAIRS:
        raise ValueError(f"an encryption context has at most {_MAX_PAIRS} keys, got {len(pairs)}")
    for key, value in pairs.items():
        if not isinstance(key, str) or not _is_key(key):
            raise ValueError(f"context key {key!r} must be a lower-case identifier (a-z, 0-9, _), at most 64 chars")
        if not isinstance(value, str):
            raise TypeError(f"context value for {key!r} must be str, not {type(value).__name__}")
        if not value or len(value) > _MAX_VALUE_CHARS:
            raise ValueError(f"context value for {key!r} must be 1 to {_MAX_VALUE_CHARS} characters")
