"""The extension points of sfshield: small :class:`typing.Protocol` classes, passed in explicitly.

Nothing in sfshield looks implementations up in a global registry. You hand a ``Shield`` (or a stage used alone)
the objects it should call. Single-method hooks also accept a plain callable where the docstring says so.

This module also defines :class:`FieldContext`, the value that crosses the ``FieldEncryptor`` boundary, because the
encryptor must bind every ciphertext to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sfshield.audit.events import AuditEvent
    from sfshield.classification import FieldLabel

__all__ = [
    "AuditProcessor",
    "AuditSink",
    "ClassificationSource",
    "Detector",
    "FieldContext",
    "FieldEncryptor",
    "FindingLike",
    "KeyProvider",
]


@dataclass(frozen=True, slots=True)
class FieldContext:
    """Where a field value comes from; an encryptor binds its ciphertext to all of it.

    The decryptor rebuilds the same context from the record, so a ciphertext moved to another tenant, object,
    field, record or purpose fails to decrypt.
    """

    tenant: str
    sobject: str
    field: str
    purpose: str
    record_id: str | None = None


@runtime_checkable
class FieldEncryptor(Protocol):
    """Encrypts one field value for the ``encrypt`` action of a rule.

    **Protocol:** ``encrypt`` receives the value as UTF-8 bytes (non-text values JSON-encoded first) and returns
    printable text that is safe to put in a record. It must bind the ciphertext to ``context`` and raise on any
    failure: sfshield then stops the batch (fail closed). ``is_encrypted`` tells whether a text is already a
    ciphertext *for this context*, so that filtering a record twice never encrypts a value twice. It must
    authenticate (for example by decrypting), not trust a prefix: a field value can start with any marker.
    """

    def encrypt(self, plaintext: bytes, /, *, context: FieldContext) -> str:
        """Return the ciphertext of ``plaintext`` as text, bound to ``context``."""
        ...

    def is_encrypted(self, text: str, /, *, context: FieldContext) -> bool:
        """Whether ``text`` is a genuine ciphertext of this encryptor bound to ``context``."""
        ...


@runtime_checkable
class AuditSink(Protocol):
    """Records audit events somewhere durable.

    **Protocol:** ``emit`` must either record the event or raise. sfshield turns any exception into
    :class:`~sfshield.exceptions.AuditSinkError` and stops the guarded operation. A sink must not mutate events.
    """

    def emit(self, event: AuditEvent, /) -> None:
        """Record ``event`` or raise."""
        ...


class AuditProcessor(Protocol):
    """Enriches or scrubs an audit event before the sinks see it.

    **Protocol:** a callable taking an event and returning an event (the same or a modified copy). Returning
    anything else, ``None`` included, is an error: processors may not drop events.
    """

    def __call__(self, event: AuditEvent, /) -> AuditEvent:
        """Return the (possibly modified) event."""
        ...


class ClassificationSource(Protocol):
    """Supplies field labels (sensitivity, compliance groups, tags) from somewhere: a file, the org, a catalogue.

    **Protocol:** ``load_labels`` returns labels keyed by ``"Object.Field"`` (``"*.Field"`` for every object) and
    raises :class:`~sfshield.exceptions.ClassificationError` when it cannot produce a complete answer, never a
    partial one.
    """

    def load_labels(self) -> Mapping[str, FieldLabel]:
        """Return the labels this source knows."""
        ...


class FindingLike(Protocol):
    """What a detector reports: a kind and a span, never the matched text."""

    @property
    def kind(self) -> str:
        """The kind of data found, such as ``email`` or ``payment_card``."""
        ...

    @property
    def start(self) -> int:
        """Offset of the first character."""
        ...

    @property
    def end(self) -> int:
        """Offset after the last character."""
        ...


class Detector(Protocol):
    """Finds sensitive data in free text (filled by the DLP scanner).

    **Protocol:** ``detect`` returns findings with offsets and kinds, never the matched text, and raises on
    internal failure so the scanner can fail closed.

    The scanner also takes a plain function ``(text) -> findings`` in place of an object; findings that carry no
    ``detector`` name of their own are named after the function::

        def order_numbers(text: str) -> list[Finding]:
            return [Finding(m.start(), m.end(), "ORDER_NUMBER", Confidence.LIKELY, "order_numbers")
                    for m in ORDER_NUMBER.finditer(text)]

        Scanner(detectors=[order_numbers])
    """

    def detect(self, text: str, /) -> Iterable[FindingLike]:
        """Return every finding in ``text``."""
        ...


@runtime_checkable
class KeyProvider(Protocol):
    """Holds key-encryption keys (KEKs) that never leave it (a key file, an HSM) and wraps data keys with them.

    **Protocol:**

    - ``primary_key_id`` names the KEK that new data keys are wrapped with. Rotating the KEK means making a new
      one primary in the provider, then re-wrapping the stored data keys (``Keyring.rewrap``); older KEK ids stay
      usable for ``unwrap`` until nothing is wrapped with them.
    - ``wrap`` encrypts ``data_key`` under the KEK ``key_id`` and binds the result to ``aad`` (authenticated, not
      stored); ``unwrap`` reverses it and must fail when the wrapped bytes or ``aad`` differ.
    - Every failure raises :class:`~sfshield.exceptions.KeyProviderError` with a message that names the provider
      and the KEK id, never key material. The KEK's own material is never returned or logged.
    """

    @property
    def primary_key_id(self) -> str:
        """The id of the KEK that new data keys are wrapped with."""
        ...

    def wrap(self, data_key: bytes, /, *, key_id: str, aad: bytes) -> bytes:
        """Wrap ``data_key`` with the KEK named ``key_id``, bound to ``aad``."""
        ...

    def unwrap(self, wrapped: bytes, /, *, key_id: str, aad: bytes) -> bytes:
        """Unwrap a data key wrapped by :meth:`wrap` with the same ``key_id`` and ``aad``."""
        ...
