"""Every error sfshield raises on purpose, in one tree.

Each error a user can get from sfshield is a :class:`ShieldError`. Its message says what happened and what to do,
and never contains a field value, a token or a key. Third-party exceptions are translated at one boundary with
``raise ... from exc``. Programmer misuse (a wrong argument type, an impossible combination of arguments) raises a
plain :class:`TypeError` or :class:`ValueError` instead, because no configuration file can cause it.

The tree::

    ShieldError
    ├── ConfigurationError            the library was set up in a way that cannot be run safely
    │   └── UnknownPurposeError       a purpose the policy does not declare
    ├── ClassificationError           the field classification (the policy) is unusable
    │   └── PolicyLoadError           a policy file or metadata record is invalid (names file and key/line)
    ├── FilterError                   records could not be filtered; nothing was returned
    │   └── UnresolvedObjectError     the sObject type of a record is unknown
    ├── FieldEncryptionError          the encryptor behind the 'encrypt' action failed; nothing was returned
    ├── InputFileError                a record file (CSV, JSONL) is missing or malformed (names file and line)
    ├── SoqlSyntaxError               a query is not valid REST-API SOQL (line, column, what was expected)
    ├── QueryRejectedError            the SOQL guard refused a query for a purpose (lists every reason)
    ├── CryptoError                   keys or ciphertexts could not be used
    │   ├── DecryptionError           a ciphertext did not decrypt (one fixed message, whatever the cause)
    │   ├── KeyProviderError          the key provider (key file, HSM) failed or refused an operation
    │   ├── KeyNotFoundError          no usable data key: unknown tenant or key id, or the tenant was shredded
    │   ├── ReplayError               a sealed message (Platform Event) was opened a second time
    │   └── MessageAgeError           an authentic sealed message was too old or dated in the future
    ├── TokenStoreError               an OAuth token or client secret could not be stored or read
    ├── ScanError                     the DLP scanner could not scan a text; nothing was passed as clean
    ├── SensitiveDataBlockedError     free text held data the policy blocks for the purpose; nothing was returned
    ├── QuarantineError               the quarantine store failed, or a quarantined record cannot be reviewed
    ├── SalesforceError               talking to Salesforce failed (mapped at one boundary; never a response body)
    │   ├── AuthenticationError       OAuth failed (client, key, secret or user refused); never retried
    │   ├── TenantMismatchError       a token belongs to another org than the tenant's; it was revoked
    │   ├── ScopeError                the granted OAuth scopes exceed what the tenant allows; the token was revoked
    │   ├── PrivilegeError            the integration user holds more rights than the tenant allows (lists them)
    │   ├── ExportInterruptedError    a Bulk API export stopped; its ``position`` resumes it without gaps
    │   └── TransientError            Salesforce or the network failed temporarily and retries were exhausted
    ├── VaultError                    a placeholder vault is unknown, expired or cannot be read
    └── AuditError                    the audit trail could not be kept
        ├── AuditSinkError            a sink failed: the guarded operation was stopped (fail closed)
        ├── AuditProcessorError       a processor dropped or broke an event: the operation was stopped
        └── AuditIntegrityError       a hash-chained audit file was edited, reordered or truncated

Later modules (SOQL, crypto, DLP, the tenant client) add their branches here, so that ``except ShieldError``
keeps catching everything sfshield raises on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "AuditError",
    "AuditIntegrityError",
    "AuditProcessorError",
    "AuditSinkError",
    "AuthenticationError",
    "ClassificationError",
    "ConfigurationError",
    "CryptoError",
    "DecryptionError",
    "ExportInterruptedError",
    "FieldEncryptionError",
    "FilterError",
    "InputFileError",
    "KeyNotFoundError",
    "KeyProviderError",
    "MessageAgeError",
    "PolicyLoadError",
    "PrivilegeError",
    "QuarantineError",
    "QueryRejectedError",
    "ReplayError",
    "SalesforceError",
    "ScanError",
    "ScopeError",
    "SensitiveDataBlockedError",
    "ShieldError",
    "SoqlSyntaxError",
    "TenantMismatchError",
    "TokenStoreError",
    "TransientError",
    "UnknownPurposeError",
    "UnresolvedObjectError",
    "VaultError",
]


class ShieldError(Exception):
    """Base class of every error sfshield raises on purpose.

    The message says what happened and what to do. It never carries a field value, a token or key material,
    so it is safe to log.
    """


class ConfigurationError(ShieldError):
    """sfshield was set up in a way that cannot be run safely (for example ``pseudonymize`` without a key)."""


class UnknownPurposeError(ConfigurationError):
    """A purpose was asked for that is neither built in nor declared by the policy.

    Attributes:
        purpose: the purpose that was asked for.
        known: the purposes the policy accepts.
    """

    def __init__(self, purpose: str, known: tuple[str, ...]) -> None:
        self.purpose = purpose
        self.known = known
        super().__init__(
            f"unknown purpose {purpose!r}: use one of {', '.join(known)}, "
            "or declare it under `purposes` in the policy file"
        )


class ClassificationError(ShieldError):
    """The field classification (the policy) is unusable."""


class PolicyLoadError(ClassificationError):
    """A policy file or a metadata record is invalid.

    Attributes:
        source: the file path or record source that was being read.
        location: where in it: a dotted key path (``rules.2.action``) or ``line N``; empty if unknown.
    """

    def __init__(self, source: str, location: str, problem: str) -> None:
        self.source = source
        self.location = location
        self.problem = problem
        where = f"{source}: {location}" if location else source
        super().__init__(f"{where}: {problem}")


class FilterError(ShieldError):
    """Records could not be filtered; none of them were returned."""


class UnresolvedObjectError(FilterError):
    """The sObject type of a record could not be determined.

    Records from simple-salesforce carry it in ``attributes.type``; CSV rows and event payloads do not, so pass
    ``sobject=`` for those.
    """


class FieldEncryptionError(ShieldError):
    """The field encryptor behind an ``encrypt`` rule failed; no record of the batch was returned."""


class InputFileError(ShieldError):
    """A record file (CSV or JSONL) is missing or malformed; the message names the file and the line."""


class SoqlSyntaxError(ShieldError):
    """A query is not valid SOQL as the REST API accepts it.

    The message gives the line, the column and what was expected, but never the query text, which may hold
    values. The text is kept on the exception (:attr:`text`) so that a caller who may show it can point at the
    spot with :meth:`pointer`.

    Attributes:
        line: 1-based line of the problem.
        column: 1-based column of the problem.
        offset: 0-based character offset.
        problem: what is wrong, or what was expected.
    """

    def __init__(self, text: str, offset: int, problem: str) -> None:
        self.text = text
        self.offset = offset
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        self.problem = problem
        super().__init__(f"SOQL syntax error at line {self.line}, column {self.column}: {problem}")

    def pointer(self) -> str:
        """Return the offending line of the query with a caret under the problem (it shows query text)."""
        start = self.text.rfind("\n", 0, self.offset) + 1
        end = self.text.find("\n", self.offset)
        line = self.text[start : end if end != -1 else len(self.text)]
        return f"{line}\n{' ' * (self.column - 1)}^"

    def __reduce__(self) -> tuple[type[SoqlSyntaxError], tuple[str, int, str]]:
        return (type(self), (self.text, self.offset, self.problem))


class QueryRejectedError(ShieldError):
    """The SOQL guard refused a query; :attr:`reasons` lists every reason (field names, never values).

    Attributes:
        reasons: one line per problem, such as ``Contact.SSN__c may not be selected for training (unlabelled)``.
    """

    def __init__(self, reasons: tuple[str, ...]) -> None:
        self.reasons = reasons
        listed = "; ".join(reasons)
        super().__init__(f"query rejected ({len(reasons)} reason(s)): {listed}")

    def __reduce__(self) -> tuple[type[QueryRejectedError], tuple[tuple[str, ...]]]:
        return (type(self), (self.reasons,))


class CryptoError(ShieldError):
    """Keys or ciphertexts could not be used. The message never contains key material or plaintext."""


class DecryptionError(CryptoError):
    """A ciphertext did not decrypt.

    Every cause (a flipped byte, a truncated blob, an unknown version or key id, a context that differs from the
    one used to encrypt, a destroyed key) raises this error with the same fixed message, so that the error cannot
    be used as an oracle. The cause is never chained.
    """

    MESSAGE = (
        "ciphertext could not be decrypted: it is damaged, was encrypted for another context (tenant, object, "
        "field, record, purpose), or its key is unknown or destroyed"
    )

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)

    def __reduce__(self) -> tuple[type[DecryptionError], tuple[()]]:
        return (type(self), ())


class KeyProviderError(CryptoError):
    """The key provider (a key file, an HSM) failed or refused to wrap or unwrap a data key.

    The message names the provider and the key-encryption key id and says what to check; it never contains key
    material.
    """


class KeyNotFoundError(CryptoError):
    """No usable data key: the tenant has no keyring, the key id is unknown, or the tenant's keys were destroyed."""


class ReplayError(CryptoError):
    """A sealed message (for example an encrypted Platform Event) was opened a second time within its window.

    Attributes:
        message_id: the id of the replayed message (a random id, not a secret).
    """

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        super().__init__(
            f"message {message_id} was already opened: a replayed or duplicated event; it was not decrypted again"
        )

    def __reduce__(self) -> tuple[type[ReplayError], tuple[str]]:
        return (type(self), (self.message_id,))


class MessageAgeError(CryptoError):
    """An authentic sealed message was refused for its age: older than the replay window, or dated in the future.

    A message older than the window may already have been opened and forgotten by the replay cache, so it cannot
    be accepted; one dated ahead of the subscriber's clock by more than the allowed skew points at a wrong clock.

    Attributes:
        message_id: the id of the message (a random id, not a secret).
        issued_at: when the publisher says it sealed the message.
    """

    def __init__(self, message_id: str, issued_at: datetime, problem: str) -> None:
        self.message_id = message_id
        self.issued_at = issued_at
        self.problem = problem
        super().__init__(f"message {message_id} issued at {issued_at:%Y-%m-%dT%H:%M:%SZ} was refused: {problem}")

    def __reduce__(self) -> tuple[type[MessageAgeError], tuple[str, datetime, str]]:
        return (type(self), (self.message_id, self.issued_at, self.problem))


class TokenStoreError(ShieldError):
    """An OAuth token or client secret could not be stored or read (missing, unreadable store, wrong binding)."""


class ScanError(ShieldError):
    """The DLP scanner could not scan a text (too long, a detector failed); nothing was passed as clean."""


class SensitiveDataBlockedError(ShieldError):
    """Free text held data whose ``dlp`` rule says ``block`` for the purpose; nothing of the batch was returned.

    Attributes:
        kinds: the blocked kinds found (never the values).
        paths: the field paths they were found in.
        purpose: the purpose of the operation.
    """

    def __init__(self, kinds: tuple[str, ...], paths: tuple[str, ...], purpose: str) -> None:
        self.kinds = kinds
        self.paths = paths
        self.purpose = purpose
        super().__init__(
            f"blocked: {', '.join(kinds)} found in {', '.join(paths)} may not be sent for {purpose!r}; nothing of "
            "the batch was returned. Clean the source records, or change the policy's dlp rules to quarantine "
            "such records instead of blocking the batch"
        )

    def __reduce__(self) -> tuple[type[SensitiveDataBlockedError], tuple[tuple[str, ...], tuple[str, ...], str]]:
        return (type(self), (self.kinds, self.paths, self.purpose))


class QuarantineError(ShieldError):
    """The quarantine store failed, or a quarantined record cannot be reviewed (unknown id, already reviewed).

    A failure to quarantine stops the batch: nothing held back is lost, and nothing sensitive passes.
    """


class VaultError(ShieldError):
    """A placeholder vault is unknown, expired, or cannot be read; no placeholder was restored."""


class SalesforceError(ShieldError):
    """Talking to Salesforce failed. Translated at one boundary; the message never quotes a response body.

    Attributes:
        tenant: the tenant whose org was called.
        error_code: Salesforce's ``errorCode`` (``INVALID_SESSION_ID`` …) or the HTTP status, when known.
        request_id: the ``X-SFDC-REQUEST-ID`` sfshield sent, to find the call in Salesforce's event logs.
    """

    def __init__(
        self, message: str, *, tenant: str | None = None, error_code: str | None = None, request_id: str | None = None
    ) -> None:
        self.tenant = tenant
        self.error_code = error_code
        self.request_id = request_id
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_salesforce_error, (type(self), str(self), self.tenant, self.error_code, self.request_id))


def _rebuild_salesforce_error(
    cls: type[SalesforceError], message: str, tenant: str | None, error_code: str | None, request_id: str | None
) -> SalesforceError:
    return cls(message, tenant=tenant, error_code=error_code, request_id=request_id)


class AuthenticationError(SalesforceError):
    """OAuth failed: the client, its key or secret, or the integration user was refused. Never retried."""


class TenantMismatchError(SalesforceError):
    """A token belongs to another org than the tenant's. The token was revoked; nothing was read with it."""


class ScopeError(SalesforceError):
    """The OAuth scopes Salesforce granted exceed what the tenant allows (``full``, ``web`` …).

    The token was revoked. Narrow the connected app's scopes, or allow the scope for this tenant on purpose.
    """


class PrivilegeError(SalesforceError):
    """The integration user holds more rights than the tenant allows; the client refused to start.

    Attributes:
        excessive: what is excessive (``PermissionsViewAllData``, ``read:Opportunity`` …), never record data.
    """

    def __init__(self, message: str, *, excessive: tuple[str, ...] = (), tenant: str | None = None) -> None:
        self.excessive = excessive
        super().__init__(message, tenant=tenant)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_privilege_error, (str(self), self.excessive, self.tenant))


def _rebuild_privilege_error(message: str, excessive: tuple[str, ...], tenant: str | None) -> PrivilegeError:
    return PrivilegeError(message, excessive=excessive, tenant=tenant)


class ExportInterruptedError(SalesforceError):
    """A Bulk API export stopped at a page that could not be downloaded.

    Attributes:
        position: the job and locator to pass back as ``export(..., resume=position)``; rows before it were
            delivered, none after it.
    """

    def __init__(self, message: str, *, position: Any, tenant: str | None = None) -> None:
        self.position = position
        super().__init__(message, tenant=tenant, error_code="EXPORT_INTERRUPTED")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_export_error, (str(self), self.position, self.tenant))


def _rebuild_export_error(message: str, position: Any, tenant: str | None) -> ExportInterruptedError:
    return ExportInterruptedError(message, position=position, tenant=tenant)


class TransientError(SalesforceError):
    """Salesforce or the network failed temporarily (5xx, timeout, lock, request limit) and retries ran out."""


class AuditError(ShieldError):
    """The audit trail could not be kept."""


class AuditSinkError(AuditError):
    """An audit sink failed to record an event, so the guarded operation was stopped (fail closed).

    Attributes:
        sink: the sink's class name.
    """

    def __init__(self, sink: str, cause: str) -> None:
        self.sink = sink
        super().__init__(
            f"audit sink {sink} failed ({cause}); the operation was stopped so nothing passes unrecorded. "
            "Fix the sink (disk space, permissions, network) and retry"
        )


class AuditProcessorError(AuditError):
    """An audit processor dropped an event or returned something that is not an event."""


class AuditIntegrityError(AuditError):
    """A hash-chained audit file does not verify.

    Attributes:
        path: the audit file.
        line: the first line (1-based) that does not verify; for a truncated tail, the first missing line.
    """

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path}: line {line}: {problem}")
