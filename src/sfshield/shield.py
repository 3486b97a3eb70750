"""``Shield``: the composition root for one tenant, and the ``@shield.ingest`` decorator.

A Shield wires the stages that every record passes — today the field filter and the audit pipeline; the DLP
scanner and the envelope cipher plug in here as they land — for one tenant under one policy. ``protect`` is the
one door: it filters, records what it decided, and returns the records only once the audit sinks have accepted the
event. If filtering or auditing fails, nothing is returned (fail closed) and the failure itself is audited.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from sfshield.audit import (
    AuditPipeline,
    FieldActionCount,
    FindingCount,
    OperationBlocked,
    PolicyLoaded,
    RecordsFiltered,
    TextScanned,
)
from sfshield.classification import Classification
from sfshield.crypto import EnvelopeCipher
from sfshield.dlp import Scanner
from sfshield.dlp.guard import GuardOutcome, TextGuard
from sfshield.exceptions import AuditError, FilterError, QuarantineError, ShieldError
from sfshield.filtering import FieldFilter, FilterResult
from sfshield.protocols import AuditSink, FieldEncryptor
from sfshield.soql.guard import SoqlGuard
from sfshield.transforms import Pseudonymizer, PseudonymKey

if TYPE_CHECKING:
    from sfshield.dlp.quarantine import QuarantineStore

__all__ = ["Shield"]

P = ParamSpec("P")
_QUERY_RESULT_KEYS = ("totalSize", "done", "nextRecordsUrl")
R = TypeVar("R")

AuditTarget = AuditPipeline | AuditSink | Callable[[Any], None] | Sequence[AuditSink | Callable[[Any], None]]


class Shield:
    """Everything one tenant's records pass through on their way to an LLM.

    Args:
        policy: the classification in force (see :func:`sfshield.load_classification`).
        tenant: your id for the tenant (one org); it is written into every audit event.
        audit: an :class:`~sfshield.audit.AuditPipeline`, or one or more sinks to build one from. Required:
            nothing is filtered without a record of it.
        org_id: the Salesforce org id, if known, for the audit trail.
        pseudonym_key: the tenant's key for ``pseudonymize`` rules.
        encryptor: the field encryptor for ``encrypt`` rules: an :class:`~sfshield.crypto.EnvelopeCipher` (fields
            are encrypted with its random mode, bound to tenant, object, field, purpose and record id), the result
            of its :meth:`~sfshield.crypto.EnvelopeCipher.for_fields` (to make some fields joinable), or any
            :class:`~sfshield.protocols.FieldEncryptor`.
        default_purpose: the purpose used by a bare ``@shield.ingest``.
        scanner: the DLP scanner for the policy's ``dlp`` section (default: one built from that section). To add
            detectors, build it with ``Scanner.for_policy(policy.dlp, detectors=[...])``: a scanner that lacks the
            section's dictionary terms, allow-lists more or reports less is refused.
        quarantine: where records are held back when a ``dlp`` rule (or the default for credentials) says
            ``quarantine``. Without one, such a batch is stopped instead (fail closed).

    Raises:
        UnknownPurposeError: ``default_purpose`` is not known to the policy.
        ConfigurationError: ``scanner`` would let through what the policy's ``dlp`` section stops (it lacks
            dictionary terms, allow-lists more, or has a higher ``min_confidence``).
        AuditSinkError: recording that the policy came into force failed.
    """

    def __init__(
        self,
        policy: Classification,
        *,
        tenant: str,
        audit: AuditTarget,
        org_id: str | None = None,
        pseudonym_key: PseudonymKey | None = None,
        encryptor: FieldEncryptor | EnvelopeCipher | None = None,
        default_purpose: str | None = None,
        scanner: Scanner | None = None,
        quarantine: QuarantineStore | None = None,
    ) -> None:
        if not tenant:
            raise ValueError("tenant must be a non-empty id")
        # What with_policy passes on (the keys and stores are shared, not copied).
        self._pseudonym_key = pseudonym_key
        self._encryptor = encryptor
        self._scanner = scanner
        self.policy = policy
        self.tenant = tenant
        self.org_id = org_id
        self.audit = audit if isinstance(audit, AuditPipeline) else AuditPipeline(sinks=_as_sinks(audit))
        self.default_purpose = policy.check_purpose(default_purpose) if default_purpose else None
        pseudonymizer = Pseudonymizer(pseudonym_key) if pseudonym_key is not None else None
        cipher = encryptor if isinstance(encryptor, EnvelopeCipher) else getattr(encryptor, "cipher", None)
        if isinstance(encryptor, EnvelopeCipher):
            encryptor = encryptor.for_fields()
        self._filter = FieldFilter(policy, tenant=tenant, pseudonymizer=pseudonymizer, encryptor=encryptor)
        self._quarantine = quarantine
        self._guard = (
            TextGuard(policy, tenant=tenant, scanner=scanner, pseudonymizer=pseudonymizer, cipher=cipher)
            if policy.dlp is not None
            else None
        )
        self.audit.emit(
            PolicyLoaded(
                **self._event_base(),
                source="Shield",
                label_count=len(policy.labels),
                rule_count=len(policy.rules),
            )
        )

    def __repr__(self) -> str:
        return f"Shield(tenant={self.tenant!r}, policy={self.policy.version!r})"

    def with_policy(self, policy: Classification, /, *, scanner: Scanner | None = None) -> Shield:
        """A Shield like this one (tenant, audit trail, keys, encryptor, scanner, quarantine) under ``policy``.

        For a policy that changes while the tenant's pipeline runs (labels reloaded from the org): the new Shield
        records its ``policy_loaded`` event like any other, and this one keeps working under its own policy.

        Args:
            policy: the new policy.
            scanner: the DLP scanner under it (default: the scanner this Shield was given, or, if none was, one
                built from ``policy``'s ``dlp`` section). Give one when ``policy`` changes the ``dlp`` dictionary,
                allow-list or threshold and this Shield was given its own scanner:
                ``scanner=Scanner.for_policy(policy.dlp, detectors=[...])``.

        Raises:
            UnknownPurposeError: this Shield's ``default_purpose`` is not known to ``policy``.
            ConfigurationError: the scanner would let through what ``policy``'s ``dlp`` section stops.
            AuditSinkError: recording that the policy came into force failed.
        """
        return Shield(
            policy,
            tenant=self.tenant,
            audit=self.audit,
            org_id=self.org_id,
            pseudonym_key=self._pseudonym_key,
            encryptor=self._encryptor,
            default_purpose=self.default_purpose,
            scanner=scanner or self._scanner,
            quarantine=self._quarantine,
        )

    def __reduce__(self) -> Any:
        raise TypeError("a Shield holds keys and cannot be pickled; build one per process")

    def protect(
        self, records: Iterable[Mapping[str, Any]], /, *, purpose: str, sobject: str | None = None
    ) -> FilterResult:
        """Filter ``records`` for ``purpose``, audit the decisions, and return the filtered records.

        Raises:
            UnknownPurposeError, UnresolvedObjectError, ConfigurationError, FieldEncryptionError: filtering
                failed; the failure was audited and no record is returned.
            AuditError: the audit trail could not be written; no record is returned.
        """
        try:
            result = self._filter.filter(records, purpose=purpose, sobject=sobject)
            if self._guard is not None:
                result = self._guard_text(result, purpose=purpose, sobject=sobject)
        except ShieldError as exc:
            self._audit_blocked(exc, purpose=purpose, sobject=sobject)
            raise
        except Exception as exc:  # noqa: BLE001 - any other failure is translated here, at the one boundary
            error = FilterError(
                f"records could not be filtered ({type(exc).__name__}); the batch was held back. Check that each "
                "record is a dict shaped like a Salesforce record"
            )
            self._audit_blocked(error, purpose=purpose, sobject=sobject)
            raise error from None  # the original may quote a value
        self.audit.emit(self._filtered_event(result, purpose, sobject))
        return result

    def protect_stream(
        self,
        records: Iterable[Mapping[str, Any]],
        /,
        *,
        purpose: str,
        sobject: str | None = None,
        batch_size: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Like :meth:`protect`, for an unbounded stream: filters and audits ``batch_size`` records at a time.

        Memory stays constant. A batch is yielded only after its audit event was recorded. The arguments are
        checked at once, not at the first ``next()``.

        Raises:
            ValueError: ``batch_size`` is below 1.
            UnknownPurposeError: the purpose is unknown.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.policy.check_purpose(purpose)
        return self._stream(records, purpose=purpose, sobject=sobject, batch_size=batch_size)

    def _stream(
        self, records: Iterable[Mapping[str, Any]], *, purpose: str, sobject: str | None, batch_size: int
    ) -> Iterator[dict[str, Any]]:
        source = iter(records)
        while batch := list(itertools.islice(source, batch_size)):
            yield from self.protect(batch, purpose=purpose, sobject=sobject)

    @overload
    def ingest(self, fn: Callable[P, R], /) -> Callable[P, R]: ...
    @overload
    def ingest(
        self, fn: None = None, /, *, purpose: str | None = None, sobject: str | None = None
    ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
    def ingest(
        self, fn: Callable[P, R] | None = None, /, *, purpose: str | None = None, sobject: str | None = None
    ) -> Callable[P, R] | Callable[[Callable[P, R]], Callable[P, R]]:
        """Decorate an ingestion function so that whatever it returns or yields has passed :meth:`protect`.

        Works bare (``@shield.ingest``, using ``default_purpose``) or with arguments
        (``@shield.ingest(purpose="embedding")``), on sync, async, generator and async generator functions; the
        signature is kept. It returns the same shape it was given: a query result dict (``{"records": [...]}``)
        keeps its other keys, a list stays a list, a single record dict stays a dict. There is no off-switch.

        Raises:
            TypeError: bare use without a ``default_purpose``.
            UnknownPurposeError: the purpose is unknown (raised when decorating, not when called).
        """
        chosen = purpose or self.default_purpose
        if chosen is None:
            raise TypeError("name a purpose: @shield.ingest(purpose='embedding'), or give Shield a default_purpose")
        checked = self.policy.check_purpose(chosen)

        def decorate(func: Callable[P, R]) -> Callable[P, R]:
            return _wrap(func, functools.partial(self._protect_value, purpose=checked, sobject=sobject))

        return decorate(fn) if fn is not None else decorate

    def soql_guard(self, *, purpose: str, **options: Any) -> SoqlGuard:
        """Return a :class:`~sfshield.soql.SoqlGuard` for ``purpose`` under this Shield's policy and audit trail.

        ``options`` are the guard's keyword arguments (``objects``, ``max_limit``, ``rewrite``, ``describe`` …).
        """
        return SoqlGuard(self.policy, purpose=purpose, audit=self.audit, tenant=self.tenant, **options)

    def _protect_value(self, value: Any, *, purpose: str, sobject: str | None) -> Any:
        if value is None:
            return None
        if isinstance(value, Mapping) and isinstance(value.get("records"), list):
            # Only the query-result envelope passes next to the filtered records: any other key is unclassified.
            return {
                **{key: value[key] for key in _QUERY_RESULT_KEYS if key in value},
                "records": list(self.protect(value["records"], purpose=purpose, sobject=sobject)),
            }
        if isinstance(value, Mapping):
            return self.protect([value], purpose=purpose, sobject=sobject)[0]
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            error = FilterError(
                f"an ingest function returned {type(value).__name__}; return records (a dict, a list of dicts or "
                "a query result), so they can be filtered"
            )
            self._audit_blocked(error, purpose=purpose, sobject=sobject)
            raise error
        return list(self.protect(value, purpose=purpose, sobject=sobject))

    def _event_base(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "org_id": self.org_id,
            "policy_version": self.policy.version,
            "policy_sha256": self.policy.sha256,
        }

    def _filtered_event(self, result: FilterResult, purpose: str, sobject: str | None) -> RecordsFiltered:
        ids = "\n".join(result.record_ids).encode()
        return RecordsFiltered(
            **self._event_base(),
            purpose=purpose,
            sobject=",".join(result.sobjects) or sobject or "",
            record_count=len(result),
            record_ids_sha256=hashlib.sha256(ids).hexdigest() if ids else None,
            fields=tuple(
                FieldActionCount(path=d.path, action=d.action, reason=d.reason, rule=d.rule, count=n)
                for d, n in sorted(result.field_counts().items(), key=lambda item: item[0].path)
            ),
        )

    def _guard_text(self, result: FilterResult, *, purpose: str, sobject: str | None) -> FilterResult:
        """Scan the kept text fields (policy ``dlp``), redact them in place, hold back what must not pass."""
        assert self._guard is not None  # noqa: S101 - only called when a guard exists
        sobjects = result.record_sobjects
        outcome = self._guard.apply(result.records, sobjects, purpose=purpose)
        if outcome.held:
            if self._quarantine is None:
                kinds = sorted({kind for found in outcome.held.values() for kind in found})
                raise QuarantineError(
                    f"{len(outcome.held)} record(s) hold {', '.join(kinds)}, which the policy quarantines for "
                    f"{purpose!r}, but this Shield has no quarantine store; the batch was stopped. Pass "
                    "quarantine=QuarantineStore(...) to hold such records back and pass the rest"
                )
            by_object: dict[str, list[int]] = {}
            for index in outcome.held:
                by_object.setdefault(sobjects[index], []).append(index)
            for held_object, indexes in by_object.items():
                rules = sorted({rule for i in indexes for rule in outcome.rules[i]})
                self._quarantine.hold(
                    [result.records[i] for i in indexes],
                    tenant=self.tenant,
                    purpose=purpose,
                    sobject=held_object,
                    reason="dlp: " + ", ".join(rules),
                    findings=[outcome.held[i] for i in indexes],
                )
        if outcome.scanned:
            self._emit_text_scanned(result, outcome, purpose=purpose, sobject=sobject)
        return result.withhold(outcome.held) if outcome.held else result

    def _emit_text_scanned(
        self, result: FilterResult, outcome: GuardOutcome, *, purpose: str, sobject: str | None
    ) -> None:
        self.audit.emit(
            TextScanned(
                **self._event_base(),
                purpose=purpose,
                sobject=",".join(result.sobjects) or sobject,
                record_count=len(result),
                findings=tuple(
                    FindingCount(path=path, kind=kind, action=action, count=count)
                    for (path, kind, action), count in sorted(outcome.counts.items())
                ),
                held_back=len(outcome.held),
                texts_scanned=outcome.scanned,
            )
        )

    def _audit_blocked(self, exc: ShieldError, *, purpose: str, sobject: str | None) -> None:
        if isinstance(exc, AuditError):
            return
        self.audit.emit(
            OperationBlocked(
                **self._event_base(),
                operation="protect",
                purpose=str(purpose),
                sobject=sobject,
                error_type=type(exc).__name__,
                message=str(exc),
            )
        )


def _as_sinks(audit: Any) -> list[Any]:
    if isinstance(audit, Sequence) and not isinstance(audit, str):
        return list(audit)
    return [audit]


def _wrap(func: Callable[P, R], protect: Callable[[Any], Any]) -> Callable[P, R]:
    if inspect.isasyncgenfunction(func):
        return _wrap_async_gen(func, protect)  # type: ignore[return-value]
    if inspect.iscoroutinefunction(func):
        return _wrap_async(func, protect)
    if inspect.isgeneratorfunction(func):
        return _wrap_gen(func, protect)  # type: ignore[return-value]

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return protect(func(*args, **kwargs))  # type: ignore[no-any-return]

    return wrapper


def _wrap_async(func: Callable[P, Any], protect: Callable[[Any], Any]) -> Callable[P, Any]:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        return protect(await func(*args, **kwargs))

    return wrapper


def _wrap_gen(func: Callable[P, Any], protect: Callable[[Any], Any]) -> Callable[P, Iterator[Any]]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[Any]:
        inner = func(*args, **kwargs)
        try:
            for item in inner:
                yield protect(item)
        finally:
            inner.close()  # a consumer that stops early (or a refused item) closes the source too

    return wrapper


def _wrap_async_gen(func: Callable[P, Any], protect: Callable[[Any], Any]) -> Callable[P, AsyncIterator[Any]]:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> AsyncIterator[Any]:
        inner = func(*args, **kwargs)
        try:
            async for item in inner:
                yield protect(item)
        finally:
            await inner.aclose()

    return wrapper
