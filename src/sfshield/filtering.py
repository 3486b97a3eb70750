"""Applying the policy to records: keep, drop, mask, pseudonymize or encrypt each field, default deny.

Records are taken exactly as they arrive:

* simple-salesforce query results — ``attributes`` stripped, parents nested (``{"Account": {"Name": …}}`` or
  ``None``), children as nested query results (``{"Contacts": {"totalSize": …, "records": […]}}``);
* Bulk API 2.0 / Data Loader CSV rows, whose columns are dotted paths (``Account.Owner.Name``);
* Platform Event payload dicts (pass ``sobject="Order_Event__e"``).

A field is kept only if a rule allows it for the purpose; everything else is dropped and reported. A nested dict
is a parent record when it carries ``attributes`` or when its key names a known relationship (``attributes.type``,
the policy's ``relationships`` table, then :data:`~sfshield.classification.STANDARD_RELATIONSHIPS`), a compound
field (an address) when the policy labels it, and dropped otherwise.

Speed: decisions are compiled once per (object, purpose, field name) and cached, and each record's decision summary
is kept as a compact *shape* that is expanded only when someone reads it, so the hot loop does a dict lookup and a
branch per field. Filtering is idempotent: filtering the output again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, overload

from sfshield.classification import Action, Classification, Decision, DecisionReason
from sfshield.exceptions import ConfigurationError, FieldEncryptionError, FilterError, UnresolvedObjectError
from sfshield.protocols import FieldContext, FieldEncryptor
from sfshield.transforms import Pseudonymizer, mask_value

__all__ = ["FieldDecision", "FieldFilter", "FilterResult", "RecordDecision"]

_MAPPINGS: Final = frozenset({dict, OrderedDict})
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
_QUERY_RESULT_KEYS: Final = ("totalSize", "done", "nextRecordsUrl")
_KEEP, _DROP, _TRANSFORM, _SKIP = 0, 1, 2, 3
_UNRESOLVED = Decision(Action.DROP, DecisionReason.UNRESOLVED)
_INVALID = Decision(Action.DROP, DecisionReason.INVALID_NAME)
_MAX_MEMO: Final = 4096
_FIELD_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}(?:\.[A-Za-z][A-Za-z0-9_]{0,79}){0,5}$")


def safe_name(key: object) -> str:
    """Return ``key`` if it is a Salesforce field name or path, else a stand-in that cannot carry a value."""
    if isinstance(key, str) and _FIELD_PATH.match(key):
        return key
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:12]
    return f"<invalid name {digest}>"


Transform = Callable[[Any, Mapping[str, Any]], Any]
Shape = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class FieldDecision:
    """What happened to one field path of a record, and why (no value)."""

    path: str
    action: Action
    reason: DecisionReason
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class RecordDecision:
    """The decision summary of one record: every field path with its action and reason."""

    sobject: str
    record_id: str | None
    fields: tuple[FieldDecision, ...]

    def paths(self, action: Action) -> tuple[str, ...]:
        """Return the field paths that got ``action``."""
        return tuple(f.path for f in self.fields if f.action is action)


class _Step:
    __slots__ = ("code", "decision", "fn", "path")

    def __init__(self, path: str, decision: Decision, code: int, fn: Transform | None = None) -> None:
        self.path = path
        self.decision = decision
        self.code = code
        self.fn = fn


class _Plan:
    """The compiled decisions for one (object, purpose); filled lazily, one field name at a time."""

    __slots__ = ("codes", "fns", "owner", "purpose", "sobject", "steps", "targets")

    def __init__(self, owner: FieldFilter, sobject: str, purpose: str) -> None:
        self.owner = owner
        self.sobject = sobject
        self.purpose = purpose
        self.steps: dict[str, _Step] = {}
        # Flat views of ``steps`` for the hot loop: one dict lookup per field, no attribute loads.
        self.codes: dict[str, int] = {}
        self.fns: dict[str, Transform] = {}
        self.targets: dict[str, _Plan] = {}

    def step(self, key: str) -> _Step:
        step = self.steps.get(key)
        if step is None:
            step = self.steps[key] = self._compile(key)
            self.codes[key] = step.code
            if step.fn is not None:
                self.fns[key] = step.fn
        return step

    def code(self, key: str) -> int:
        return self.step(key).code

    def plan_for(self, target: str) -> _Plan:
        plan = self.targets.get(target)
        if plan is None:
            plan = self.targets[target] = self.owner.plan(target, self.purpose)
        return plan

    def _compile(self, key: str) -> _Step:
        if key == "attributes":
            return _Step(key, _UNRESOLVED, _SKIP)
        if not isinstance(key, str) or not _FIELD_PATH.match(key):
            # Not a Salesforce name (a header-less CSV's first row, a key made of data): drop it, and never let
            # it reach the audit trail, where it would be a value.
            return _Step(safe_name(key), _INVALID, _DROP)
        if "." in key:
            return self._compile_dotted(key)
        decision = self.owner.policy.decide(self.sobject, key, self.purpose)
        return self.owner.make_step(key, self.sobject, decision, self.purpose)

    def _compile_dotted(self, key: str) -> _Step:
        relationship, rest = key.split(".", 1)
        target = self.owner.policy.target_of(self.sobject, relationship)
        if target is None:
            return _Step(key, _UNRESOLVED, _DROP)
        inner = self.owner.plan(target, self.purpose).step(rest)
        fn = inner.fn
        if fn is None:
            return _Step(key, inner.decision, inner.code)
        id_column = f"{relationship}.Id"
        # A dotted column belongs to the parent record: its encryption context is the parent's Id.
        return _Step(key, inner.decision, inner.code, lambda value, row: fn(value, {"Id": row.get(id_column)}))


class FilterResult(Sequence[dict[str, Any]]):
    """The filtered records of one call, in order, with a decision summary per record.

    It is a sequence of the filtered records; :attr:`decisions` and :meth:`field_counts` describe what was done.
    """

    def __init__(
        self, records: list[dict[str, Any]], plans: list[_Plan], shapes: list[Shape], ids: list[str | None]
    ) -> None:
        self.records = records
        self._plans = plans
        self._shapes = shapes
        self._ids = ids
        self.held = 0
        """How many records of the batch were held back (quarantined) after filtering, by the DLP scan."""

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | Sequence[dict[str, Any]]:
        return self.records[index]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __repr__(self) -> str:
        return f"FilterResult(<{len(self.records)} records>)"

    @property
    def decisions(self) -> list[RecordDecision]:
        """One :class:`RecordDecision` per record, in order."""
        return [
            RecordDecision(plan.sobject, record_id, _describe(plan, shape, ""))
            for plan, shape, record_id in zip(self._plans, self._shapes, self._ids, strict=True)
        ]

    @property
    def record_ids(self) -> list[str]:
        """The ``Id`` of every record that had one."""
        return [record_id for record_id in self._ids if record_id is not None]

    @property
    def sobjects(self) -> tuple[str, ...]:
        """The top-level objects of the records, in first-seen order."""
        return tuple(dict.fromkeys(plan.sobject for plan in self._plans))

    @property
    def record_sobjects(self) -> list[str]:
        """Each record's object, in order."""
        return [plan.sobject for plan in self._plans]

    def withhold(self, indexes: Iterable[int], /) -> FilterResult:
        """A copy without the records at ``indexes`` (held back by a later stage), counting them in :attr:`held`."""
        dropped = set(indexes)
        keep = [i for i in range(len(self.records)) if i not in dropped]
        result = FilterResult(
            [self.records[i] for i in keep],
            [self._plans[i] for i in keep],
            [self._shapes[i] for i in keep],
            [self._ids[i] for i in keep],
        )
        result.held = self.held + len(self.records) - len(keep)
        return result

    def field_counts(self) -> Counter[FieldDecision]:
        """How many records got each (path, action, reason, rule) — a batch summary for the audit."""
        # Shapes are interned per batch, so equal shapes are the same object: count by identity, not by hashing.
        by_id = {(id(p), id(s)): (p, s) for p, s in zip(self._plans, self._shapes, strict=True)}
        counts: Counter[FieldDecision] = Counter()
        for pair, n in Counter(zip(map(id, self._plans), map(id, self._shapes), strict=True)).items():
            plan, shape = by_id[pair]
            for decision in _describe(plan, shape, ""):
                counts[decision] += n
        return counts


class FieldFilter:
    """Applies a :class:`~sfshield.classification.Classification` to records for one tenant.

    Args:
        policy: the classification in force.
        tenant: the tenant id, bound into every encryption context.
        pseudonymizer: needed when a rule says ``pseudonymize``; keyed per tenant.
        encryptor: needed when a rule says ``encrypt``.

    A missing pseudonymizer or encryptor is reported when the first field needing it is compiled, as a
    :class:`~sfshield.exceptions.ConfigurationError`, before any record is returned.
    """

    def __init__(
        self,
        policy: Classification,
        *,
        tenant: str,
        pseudonymizer: Pseudonymizer | None = None,
        encryptor: FieldEncryptor | None = None,
    ) -> None:
        self.policy = policy
        self.tenant = tenant
        self._pseudonymizer = pseudonymizer
        self._encryptor = encryptor
        self._plans: dict[tuple[str, str], _Plan] = {}
        # Pseudonyms of the texts met in the batch being filtered, per kind; emptied when a batch is done. Calls
        # from several threads share them: pseudonyms are deterministic, so an early clear only costs a recompute.
        self._pseudonyms: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"FieldFilter(policy={self.policy.version!r}, tenant={self.tenant!r})"

    def filter(
        self, records: Iterable[Mapping[str, Any]], /, *, purpose: str, sobject: str | None = None
    ) -> FilterResult:
        """Filter ``records`` for ``purpose``.

        Args:
            records: records from simple-salesforce, CSV rows, or event payloads.
            purpose: a built-in purpose or one the policy declares.
            sobject: the object of records that do not carry ``attributes.type``.

        Raises:
            UnknownPurposeError: the purpose is unknown.
            UnresolvedObjectError: a record has no ``attributes.type`` and no ``sobject`` was given.
            ConfigurationError: a rule needs a pseudonymizer or encryptor that was not given.
            FieldEncryptionError: the encryptor failed.
        """
        purpose = self.policy.check_purpose(purpose)
        out: list[dict[str, Any]] = []
        plans: list[_Plan] = []
        shapes: list[Shape] = []
        ids: list[str | None] = []
        interned: dict[Shape, Shape] = {}  # records of one query share a few shapes: keep one copy of each
        default = self.plan(sobject, purpose) if sobject else None
        try:
            for record in records:
                if record.__class__ not in _MAPPINGS and not isinstance(record, Mapping):
                    raise FilterError(f"a record must be a mapping (a dict), not {type(record).__name__}")
                plan = self._plan_for(record, default, purpose)
                filtered, shape = self._record(plan, record)
                out.append(filtered)
                plans.append(plan)
                shapes.append(interned.setdefault(shape, shape))
                record_id = record.get("Id")
                ids.append(record_id if record_id.__class__ is str else None)
        finally:
            for memo in self._pseudonyms.values():  # they hold the batch's plaintext: keep none of it
                memo.clear()
        return FilterResult(out, plans, shapes, ids)

    def plan(self, sobject: str, purpose: str) -> _Plan:
        """Return the (cached) compiled plan for an object and a checked purpose."""
        plan = self._plans.get((sobject, purpose))
        if plan is None:
            plan = self._plans[sobject, purpose] = _Plan(self, sobject, purpose)
        return plan

    def _plan_for(self, record: Mapping[str, Any], default: _Plan | None, purpose: str) -> _Plan:
        attributes = record.get("attributes")
        if attributes.__class__ in _MAPPINGS and attributes.get("type"):
            return self.plan(attributes["type"], purpose)
        if default is None:
            raise UnresolvedObjectError(
                "a record has no attributes.type and no sobject was given; pass sobject='Contact' (the object "
                "the records belong to)"
            )
        return default

    def _record(self, plan: _Plan, record: Mapping[str, Any]) -> tuple[dict[str, Any], Shape]:
        out: dict[str, Any] = {}
        nested: list[Any] | None = None
        codes = plan.codes
        for key, value in record.items():
            code = codes.get(key)
            if code is None:
                code = plan.code(key)
            cls = value.__class__
            if code != _SKIP and (cls in _MAPPINGS or (cls not in _SCALARS and isinstance(value, Mapping))):
                if nested is None:
                    nested = []
                nested.append(self._nested(plan, key, value, out, record))
            elif code == _KEEP:
                out[key] = value
            elif code == _TRANSFORM:
                out[key] = plan.fns[key](value, record)
        keys = tuple(record)
        return out, (keys if nested is None else (keys, tuple(nested)))

    def _nested(
        self, plan: _Plan, key: str, value: Mapping[str, Any], out: dict[str, Any], record: Mapping[str, Any]
    ) -> tuple[Any, ...]:
        """Filter a dict-valued field (parent, children or compound value) into ``out``; return its shape entry.

        A dict is a parent record when it carries ``attributes`` or its key names a known relationship — even if
        someone labelled the relationship name, so a label can never let a whole parent record through — and a
        compound value (an address) only when it is neither and its field is labelled.
        """
        if "records" in value:
            return self._children(plan, key, value, out)
        attributes = value.get("attributes")
        target = attributes.get("type") if isinstance(attributes, Mapping) else None
        target = target or self.policy.target_of(plan.sobject, key)
        if target is None and attributes is None and not key.endswith("__r"):
            step = plan.step(key)
            if step.code == _KEEP:
                out[key] = value
            elif step.code == _TRANSFORM:
                out[key] = plan.fns[key](value, record)
            return (key, "F")
        if target is None:
            return (key, "U")
        child_plan = plan.plan_for(target)
        filtered, shape = self._record(child_plan, value)
        if filtered:
            out[key] = filtered
        return (key, "P", child_plan, shape)

    def _children(self, plan: _Plan, key: str, result: Mapping[str, Any], out: dict[str, Any]) -> tuple[Any, ...]:
        """Filter a child subquery result; every row is of the relationship's one object (Salesforce's rule)."""
        rows = result.get("records") or []
        first = rows[0].get("attributes") if rows else None
        target = (first or {}).get("type") or self.policy.target_of(plan.sobject, key)
        if target is None:
            return (key, "U")
        child_plan = plan.plan_for(target)
        kept: list[dict[str, Any]] = []
        shapes: dict[Shape, None] = {}
        for row in rows:
            filtered, shape = self._record(child_plan, row)
            kept.append(filtered)
            shapes[shape] = None
        child_result = {k: result[k] for k in _QUERY_RESULT_KEYS if k in result}
        child_result["records"] = kept
        out[key] = child_result
        return (key, "C", child_plan, tuple(shapes))

    def make_step(self, field: str, sobject: str, decision: Decision, purpose: str) -> _Step:
        """Compile one decision into a step with its transform bound."""
        action = decision.action
        if action is Action.KEEP:
            return _Step(field, decision, _KEEP)
        if action is Action.DROP:
            return _Step(field, decision, _DROP)
        if action is Action.MASK:
            keep_last = decision.keep_last
            return _Step(field, decision, _TRANSFORM, lambda value, _row: mask_value(value, keep_last=keep_last))
        if action is Action.PSEUDONYMIZE:
            return _Step(field, decision, _TRANSFORM, self._pseudonymize_step(field, decision))
        return _Step(field, decision, _TRANSFORM, self._encrypt_step(sobject, field, purpose))

    def _pseudonymize_step(self, field: str, decision: Decision) -> Transform:
        pseudonymizer = self._pseudonymizer
        if pseudonymizer is None:
            raise ConfigurationError(
                f"rule {decision.rule!r} pseudonymizes {field}, but no pseudonym key was given; pass "
                "pseudonym_key=PseudonymKey(...) (a per-tenant secret)"
            )
        kind = decision.kind or field.lower()
        # Names, cities and titles repeat within a batch: each distinct text is pseudonymized once per batch (two
        # HMACs). Only exact ``str`` values are remembered: others may be unhashable, or equal across types (1, True).
        memo = self._pseudonyms.setdefault(kind, {})

        def pseudonymize(value: Any, _record: Mapping[str, Any]) -> Any:
            if value.__class__ is not str:
                return pseudonymizer(value, kind=kind)
            pseudonym = memo.get(value)
            if pseudonym is None:
                if len(memo) >= _MAX_MEMO:
                    memo.clear()
                pseudonym = memo[value] = pseudonymizer(value, kind=kind)
            return pseudonym

        return pseudonymize

    def _encrypt_step(self, sobject: str, field: str, purpose: str) -> Transform:
        encryptor = self._encryptor
        if encryptor is None:
            raise ConfigurationError(
                f"a rule encrypts {sobject}.{field}, but no field encryptor was given; pass encryptor=..."
            )

        # Bind to the record's Id only when the Id itself passes unchanged; otherwise a second pass would see a
        # different Id and could not recognise its own ciphertexts.
        binds_id = self.policy.decide(sobject, "Id", purpose).action is Action.KEEP
        tenant = self.tenant
        # sfshield's own FieldCipher (exactly: a subclass or a wrapper may add checks to encrypt) has a fast path
        # that looks the column up once. It is loaded if and only if such an encryptor exists.
        fields = sys.modules.get("sfshield.crypto.fields")
        if fields is not None and type(encryptor) is fields.FieldCipher:
            seal = encryptor.for_column(FieldContext(tenant, sobject, field, purpose))  # type: ignore[attr-defined]

            def encrypt_column(value: Any, record: Mapping[str, Any]) -> Any:
                if value is None:
                    return None
                record_id = record.get("Id") if binds_id else None
                try:
                    text = value if value.__class__ is str else _text_of(value)
                    return seal(text, record_id if isinstance(record_id, str) else None)
                except Exception as exc:  # noqa: BLE001 - any failure stops the batch
                    failed = type(exc).__name__
                # Raised outside the handler, so that no exception that may quote the plaintext is even its context.
                raise _encryption_failed(sobject, field, failed)

            return encrypt_column

        def encrypt(value: Any, record: Mapping[str, Any]) -> Any:
            if value is None:
                return None
            record_id = record.get("Id") if binds_id else None
            context = FieldContext(tenant, sobject, field, purpose, record_id if isinstance(record_id, str) else None)
            if isinstance(value, str) and encryptor.is_encrypted(value, context=context):
                return value
            return _encrypt(encryptor, value, context)

        return encrypt


def _encrypt(encryptor: FieldEncryptor, value: Any, context: FieldContext) -> str:
    try:
        return encryptor.encrypt(_text_of(value).encode(), context=context)
    except Exception as exc:  # noqa: BLE001 - any encryptor failure stops the batch
        failed = type(exc).__name__
    # Raised outside the handler, so that no exception that may quote the plaintext is even its context.
    raise _encryption_failed(context.sobject, context.field, failed)


def _text_of(value: Any) -> str:
    """The text a value is encrypted as: itself, or its JSON (keys sorted) when it is not text."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _encryption_failed(sobject: str, field: str, failure: str) -> FieldEncryptionError:
    return FieldEncryptionError(
        f"encrypting {sobject}.{field} failed ({failure}); no record was returned. Check the encryptor's key provider"
    )


def _describe(plan: _Plan, shape: Shape, prefix: str) -> tuple[FieldDecision, ...]:
    keys, nested = (shape, ()) if not shape or isinstance(shape[0], str) else shape
    nested_keys = {entry[0] for entry in nested}
    out = [
        _field_decision(prefix + plan.step(key).path, plan.step(key).decision)
        for key in keys
        if key != "attributes" and key not in nested_keys
    ]
    for entry in nested:
        out.extend(_describe_nested(plan, entry, prefix))
    return tuple(dict.fromkeys(out))


def _describe_nested(plan: _Plan, entry: tuple[Any, ...], prefix: str) -> Iterable[FieldDecision]:
    key, kind = safe_name(entry[0]), entry[1]
    if kind == "U":
        return (_field_decision(prefix + key, _UNRESOLVED),)
    if kind == "F":
        return (_field_decision(prefix + key, plan.step(entry[0]).decision),)
    if kind == "P":
        return _describe(entry[2], entry[3], f"{prefix}{key}.")
    return [d for shape in entry[3] for d in _describe(entry[2], shape, f"{prefix}{key}.")]


def _field_decision(path: str, decision: Decision) -> FieldDecision:
    return FieldDecision(path, decision.action, decision.reason, decision.rule)
