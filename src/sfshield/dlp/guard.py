"""TextGuard: the policy's ``dlp`` section applied to filtered records, as :class:`~sfshield.Shield` runs it.

For every record the field filter let through, each *kept* text field that the policy lists is scanned; each
finding gets the action the policy gives its kind for the purpose; the text is rewritten (mask, placeholder,
pseudonym, ciphertext), or the whole record is held back (quarantine) or the whole batch is stopped (block).

Which object a nested value belongs to: a parent relationship's target comes from the policy's relationship
table (``Account`` for ``Contact.Account``); where nobody says, only ``*.Field`` patterns apply to it. Child
subquery records (``{"records": [...]}``) are walked the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sfshield.dlp.findings import EntityKind, TextAction
from sfshield.dlp.redaction import ActionSpec, Redactor
from sfshield.dlp.scanner import Scanner
from sfshield.exceptions import ConfigurationError, ScanError, SensitiveDataBlockedError

if TYPE_CHECKING:
    from sfshield.classification import Classification
    from sfshield.crypto import EnvelopeCipher
    from sfshield.dlp.policy import DlpPolicy
    from sfshield.transforms import Pseudonymizer

__all__ = ["GuardOutcome", "TextGuard"]

_UNKNOWN_OBJECT = "?"
_CATEGORIES = frozenset({"*", "secret", "personal", "company"})
_MAX_DEPTH = 12
_SCALARS = frozenset({type(None), bool, int, float})
"""Exact types whose values hold no text and no records (subclasses take the slower checks)."""
_MAX_MEMO = 4096


@dataclass(slots=True)
class GuardOutcome:
    """What the guard did to one batch (records were rewritten in place).

    Attributes:
        held: indexes of the records to hold back (quarantine), with the kinds found in each.
        counts: findings per (field path, kind, action).
        rules: for each held record, the rules that held it (for the quarantine's reason).
        scanned: how many text values were scanned.
    """

    held: dict[int, tuple[str, ...]] = field(default_factory=dict)
    scanned: int = 0
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    rules: dict[int, tuple[str, ...]] = field(default_factory=dict)


class TextGuard:
    """Scans and redacts the kept text fields of filtered records according to a policy's ``dlp`` section.

    Args:
        policy: the classification policy (its ``dlp`` section must be set).
        tenant: the tenant (bound into ciphertexts of the ``encrypt`` action).
        scanner: the scanner; default one built from the policy's dictionary, allow-list and threshold. One you
            give must have them too (build it with :meth:`Scanner.for_policy <sfshield.dlp.Scanner.for_policy>`).
        pseudonymizer: for ``pseudonymize`` actions.
        cipher: for ``encrypt`` actions.

    Raises:
        ValueError: the policy has no ``dlp`` section.
        ConfigurationError: ``scanner`` lacks dictionary terms of the policy, allow-lists values the policy does
            not, or reports less than the policy's ``min_confidence``: it would let through what the policy stops.
    """

    def __init__(
        self,
        policy: Classification,
        *,
        tenant: str,
        scanner: Scanner | None = None,
        pseudonymizer: Pseudonymizer | None = None,
        cipher: EnvelopeCipher | None = None,
    ) -> None:
        if policy.dlp is None:
            raise ValueError("the policy has no dlp section: nothing to guard")
        self._policy = policy
        self._dlp: DlpPolicy = policy.dlp
        self._tenant = tenant
        if scanner is not None:
            _check_scanner(scanner, self._dlp)
        self._scanner = scanner or Scanner.for_policy(self._dlp)
        self._pseudonymizer = pseudonymizer
        self._cipher = cipher
        self._redactors: dict[str, Redactor] = {}
        self._scan_memo: dict[str, dict[str, bool]] = {}
        self._targets: dict[tuple[str, str], str] = {}
        self._rules: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:
        return f"TextGuard(tenant={self._tenant!r}, fields={list(self._dlp.fields)})"

    @property
    def scanner(self) -> Scanner:
        """The scanner in use."""
        return self._scanner

    def redactor(self, purpose: str, /) -> Redactor:
        """The redactor that carries out the policy's decisions for ``purpose`` (built once per purpose).

        Raises:
            ConfigurationError: an action needs a pseudonym key or a cipher that was not given.
        """
        redactor = self._redactors.get(purpose)
        if redactor is None:
            kinds = {str(kind) for kind in EntityKind}
            kinds.update(k for rule in self._dlp.rules for k in rule.kinds if k not in _CATEGORIES)
            actions = {}
            for kind in sorted(kinds):
                decision = self._dlp.decide(kind, purpose)
                actions[kind] = ActionSpec(decision.action, decision.keep_last or None)
            custom = self._dlp.decide("CUSTOM_KIND", purpose)
            redactor = Redactor(
                actions,
                default=custom.action,
                secret_default=TextAction.QUARANTINE,
                pseudonymizer=self._pseudonymizer,
                cipher=self._cipher,
            )
            self._redactors[purpose] = redactor
        return redactor

    def apply(self, records: Sequence[dict[str, Any]], sobjects: Sequence[str], /, *, purpose: str) -> GuardOutcome:
        """Scan and redact ``records`` (filtered, in place) for ``purpose``; report what to hold back.

        Args:
            records: the filtered records; their text fields are rewritten in place.
            sobjects: each record's object.
            purpose: the purpose they are filtered for.

        Raises:
            SensitiveDataBlockedError: a finding's action is ``block``; nothing of the batch may be returned.
            ScanError: the scanner failed.
            ConfigurationError: an action needs a pseudonym key or a cipher that was not given.
        """
        batch = _Batch(self.redactor(purpose), purpose, GuardOutcome())
        outcome = batch.outcome
        for index, (record, sobject) in enumerate(zip(records, sobjects, strict=True)):
            self._walk(record, sobject, "", record.get("Id"), batch, 0)
            if batch.held_kinds:
                held_kinds, batch.held_kinds = batch.held_kinds, set()
                outcome.held[index] = tuple(sorted(held_kinds))
                outcome.rules[index] = tuple(sorted({self._rule_for(kind, purpose) for kind in held_kinds}))
        blocked = [(path, kind) for (path, kind, action), _ in outcome.counts.items() if action == TextAction.BLOCK]
        if blocked:
            kinds = sorted({kind for _, kind in blocked})
            paths = sorted({path for path, _ in blocked})
            raise SensitiveDataBlockedError(kinds=tuple(kinds), paths=tuple(paths), purpose=purpose)
        return outcome

    def _walk(  # noqa: PLR0917 - private; one walk over every record shape Salesforce returns, kept in one place
        self, record: dict[str, Any], sobject: str, prefix: str, record_id: object, batch: _Batch, depth: int
    ) -> None:
        if depth > _MAX_DEPTH:
            # SOQL allows five parent levels and one child level; deeper data is not a query result. Refuse
            # rather than pass text that was never scanned.
            raise ScanError(
                f"a record nests deeper than {_MAX_DEPTH} levels at {prefix or 'the top'}; its text could not all "
                "be scanned, so the batch was stopped"
            )
        scanned = self._scanned_fields(sobject)
        rewritten: dict[str, str] | None = None  # written back after the loop: a dict must not change under it
        for name, value in record.items():
            cls = type(value)  # not value.__class__, which an object can fake
            if cls in _SCALARS:  # null, numbers, booleans: nothing to scan (most fields that are not text)
                continue
            if cls is str or isinstance(value, str):  # the common case, tested first
                flag = scanned.get(name)
                if flag is None:
                    flag = self._scans(scanned, sobject, name)
                if flag and value:
                    new = self._guard_text(value, sobject, prefix, name, record_id, batch)
                    if new is not None and new is not value:
                        if rewritten is None:
                            rewritten = {}
                        rewritten[name] = new
            elif name == "attributes":
                continue
            elif isinstance(value, list):
                self._walk_list(value, sobject, prefix, name, record_id, batch, depth)
            elif isinstance(value, dict):
                self._walk_nested(value, self._target(sobject, name), f"{prefix}{name}.", batch, depth)
        if rewritten is not None:
            record.update(rewritten)

    def _walk_nested(self, value: dict[str, Any], target: str, prefix: str, batch: _Batch, depth: int) -> None:
        """Walk a parent record, or each record of a child subquery result (``{"records": [...]}``)."""
        children = value.get("records")
        if isinstance(children, list):
            for position, child in enumerate(children):
                if isinstance(child, dict):
                    self._walk(child, target, f"{prefix}records.{position}.", child.get("Id"), batch, depth + 1)
        else:
            self._walk(value, target, prefix, value.get("Id"), batch, depth + 1)

    def _walk_list(  # noqa: PLR0917 - private
        self, items: list[Any], sobject: str, prefix: str, name: str, record_id: object, batch: _Batch, depth: int
    ) -> None:
        """Not a Salesforce shape, but a kept list can carry text: scan its strings, walk its records."""
        for position, item in enumerate(items):
            if isinstance(item, str) and item and self._dlp.scans(sobject, name):
                new = self._guard_text(item, sobject, f"{prefix}{name}.", str(position), record_id, batch)
                if new is not None:
                    items[position] = new
            elif isinstance(item, dict):
                self._walk(item, sobject, f"{prefix}{name}.{position}.", record_id, batch, depth + 1)

    def _guard_text(  # noqa: PLR0917 - private
        self, text: str, sobject: str, prefix: str, name: str, record_id: object, batch: _Batch
    ) -> str | None:
        """Scan one text at ``prefix + name``; return its redacted form, or ``None`` when it must be held back."""
        outcome = batch.outcome
        outcome.scanned += 1
        result = self._scanner.scan(text, field=name.rpartition(".")[2])  # a CSV column's own name
        if not result:
            return text
        path = prefix + name
        context = None
        if self._cipher is not None:
            context = {"tenant": self._tenant, "purpose": batch.purpose, "sobject": sobject, "field": path}
            if isinstance(record_id, str) and record_id:
                context["record_id"] = record_id
        redaction = batch.redactor.redact(text, result, context=context)
        counts = outcome.counts
        for count in redaction.counts:
            counts[path, count.kind, count.action] += count.count
        if redaction.text is None:
            batch.held_kinds.update(redaction.kinds)
        return redaction.text

    # -- memos: the policy is immutable, so what it says about a name is looked up once --------------------------

    def _scanned_fields(self, sobject: str) -> dict[str, bool]:
        """Field name → whether it is scanned, for one object (filled as names are met)."""
        fields = self._scan_memo.get(sobject)
        if fields is None:
            if len(self._scan_memo) >= _MAX_MEMO:  # object names come from records: keep the memo bounded
                self._scan_memo.clear()
            fields = self._scan_memo[sobject] = {}
        return fields

    def _scans(self, fields: dict[str, bool], sobject: str, name: str) -> bool:
        if len(fields) >= _MAX_MEMO:
            fields.clear()
        flag = fields[name] = name != "attributes" and self._dlp.scans(sobject, name)
        return flag

    def _target(self, sobject: str, relationship: str) -> str:
        """The object a nested value belongs to: the policy's relationship target, else the unknown object."""
        key = (sobject, relationship)
        target = self._targets.get(key)
        if target is None:
            if len(self._targets) >= _MAX_MEMO:
                self._targets.clear()
            target = self._targets[key] = self._policy.target_of(sobject, relationship) or _UNKNOWN_OBJECT
        return target

    def _rule_for(self, kind: str, purpose: str) -> str:
        """The name of the rule that decides ``kind`` for ``purpose`` (for the quarantine's reason)."""
        key = (kind, purpose)
        rule = self._rules.get(key)
        if rule is None:
            if len(self._rules) >= _MAX_MEMO:
                self._rules.clear()
            rule = self._rules[key] = self._dlp.decide(kind, purpose).rule
        return rule


@dataclass(slots=True)
class _Batch:
    """What one :meth:`TextGuard.apply` call carries through the walk."""

    redactor: Redactor
    purpose: str
    outcome: GuardOutcome
    held_kinds: set[str] = field(default_factory=set)
    """The kinds that hold back the record being walked."""


def _check_scanner(scanner: Scanner, dlp: DlpPolicy) -> None:
    """Refuse a scanner that would find less than the policy asks for.

    The terms and values are counted, not named: they may be confidential themselves.

    Raises:
        ConfigurationError: it lacks dictionary terms, allows more values, or has a higher threshold.
    """
    problems = []
    missing = {term.strip().casefold() for term in dlp.dictionary} - scanner.dictionary
    if missing:
        problems.append(f"it lacks {len(missing)} of the policy's {len(dlp.dictionary)} dictionary terms")
    extra = scanner.allow - {value.casefold() for value in dlp.allow}
    if extra:
        problems.append(f"it allow-lists {len(extra)} value(s) the policy does not")
    if scanner.min_confidence > dlp.min_confidence:
        problems.append(
            f"it reports from {scanner.min_confidence.name} up, the policy from {dlp.min_confidence.name} up"
        )
    if problems:
        raise ConfigurationError(
            f"the scanner given would let through text the policy's dlp section stops: {'; '.join(problems)}. "
            "Build it with Scanner.for_policy(policy.dlp, detectors=[...])"
        )
