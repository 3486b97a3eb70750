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
from sfshield.exceptions import ScanError, SensitiveDataBlockedError

if TYPE_CHECKING:
    from sfshield.classification import Classification
    from sfshield.crypto import EnvelopeCipher
    from sfshield.dlp.policy import DlpPolicy
    from sfshield.transforms import Pseudonymizer

__all__ = ["GuardOutcome", "TextGuard"]

_UNKNOWN_OBJECT = "?"
_CATEGORIES = frozenset({"*", "secret", "personal", "company"})
_MAX_DEPTH = 12


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
        scanner: the scanner; default one built from the policy's dictionary, allow-list and threshold.
        pseudonymizer: for ``pseudonymize`` actions.
        cipher: for ``encrypt`` actions.

    Raises:
        ValueError: the policy has no ``dlp`` section.
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
        self._scanner = scanner or Scanner(
            dictionary=self._dlp.dictionary, allow=self._dlp.allow, min_confidence=self._dlp.min_confidence
        )
        self._pseudonymizer = pseudonymizer
        self._cipher = cipher
        self._redactors: dict[str, Redactor] = {}

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
        redactor = self.redactor(purpose)
        outcome = GuardOutcome()
        for index, (record, sobject) in enumerate(zip(records, sobjects, strict=True)):
            held_kinds: set[str] = set()
            self._walk(record, sobject, "", record.get("Id"), redactor, purpose, outcome, held_kinds, 0)
            if held_kinds:
                outcome.held[index] = tuple(sorted(held_kinds))
                outcome.rules[index] = tuple(sorted({self._dlp.decide(kind, purpose).rule for kind in held_kinds}))
        blocked = [(path, kind) for (path, kind, action), _ in outcome.counts.items() if action == TextAction.BLOCK]
        if blocked:
            kinds = sorted({kind for _, kind in blocked})
            paths = sorted({path for path, _ in blocked})
            raise SensitiveDataBlockedError(kinds=tuple(kinds), paths=tuple(paths), purpose=purpose)
        return outcome

    def _walk(  # noqa: PLR0912, PLR0917 - one walk over every record shape Salesforce returns, kept in one place
        self,
        record: dict[str, Any],
        sobject: str,
        prefix: str,
        record_id: object,
        redactor: Redactor,
        purpose: str,
        outcome: GuardOutcome,
        held_kinds: set[str],
        depth: int,
    ) -> None:
        if depth > _MAX_DEPTH:
            # SOQL allows five parent levels and one child level; deeper data is not a query result. Refuse
            # rather than pass text that was never scanned.
            raise ScanError(
                f"a record nests deeper than {_MAX_DEPTH} levels at {prefix or 'the top'}; its text could not all "
                "be scanned, so the batch was stopped"
            )
        for name, value in list(record.items()):
            if name == "attributes":
                continue
            path = prefix + name
            if isinstance(value, str):
                if value and self._dlp.scans(sobject, name):
                    new, kinds = self._guard_text(value, sobject, path, record_id, redactor, purpose, outcome)
                    if new is None:
                        held_kinds.update(kinds)
                    else:
                        record[name] = new
            elif isinstance(value, list):
                # Not a Salesforce shape, but a kept list can carry text: scan its strings, walk its records.
                for position, item in enumerate(value):
                    if isinstance(item, str) and item and self._dlp.scans(sobject, name):
                        new, kinds = self._guard_text(
                            item, sobject, f"{path}.{position}", record_id, redactor, purpose, outcome
                        )
                        if new is None:
                            held_kinds.update(kinds)
                        else:
                            value[position] = new
                    elif isinstance(item, dict):
                        self._walk(
                            item,
                            sobject,
                            f"{path}.{position}.",
                            record_id,
                            redactor,
                            purpose,
                            outcome,
                            held_kinds,
                            depth + 1,
                        )
            elif isinstance(value, dict):
                target = self._policy.target_of(sobject, name) or _UNKNOWN_OBJECT
                children = value.get("records")
                if isinstance(children, list):
                    for position, child in enumerate(children):
                        if isinstance(child, dict):
                            self._walk(
                                child,
                                target,
                                f"{path}.records.{position}.",
                                child.get("Id"),
                                redactor,
                                purpose,
                                outcome,
                                held_kinds,
                                depth + 1,
                            )
                else:
                    self._walk(
                        value, target, f"{path}.", value.get("Id"), redactor, purpose, outcome, held_kinds, depth + 1
                    )

    def _guard_text(  # noqa: PLR0917 - private
        self,
        text: str,
        sobject: str,
        path: str,
        record_id: object,
        redactor: Redactor,
        purpose: str,
        outcome: GuardOutcome,
    ) -> tuple[str | None, frozenset[str]]:
        field_name = path.rsplit(".", 1)[-1]
        outcome.scanned += 1
        result = self._scanner.scan(text, field=field_name)
        if not result:
            return text, frozenset()
        context = None
        if self._cipher is not None:
            context = {"tenant": self._tenant, "purpose": purpose, "sobject": sobject, "field": path}
            if isinstance(record_id, str) and record_id:
                context["record_id"] = record_id
        redaction = redactor.redact(text, result, context=context)
        for count in redaction.counts:
            outcome.counts[path, count.kind, count.action] += count.count
        return redaction.text, redaction.kinds
