"""Actions on findings: what replaces each piece of sensitive data in a text, and whether the text may be used at all.

A :class:`Redactor` gives each finding's kind a :class:`TextAction` and rewrites the text:

- ``ALLOW`` — the value stays.
- ``MASK`` — one mask character per character (``****************``); at most ``keep_last`` trailing characters
  stay, and never more than a third of the value (``************1111``).
- ``PLACEHOLDER`` — a typed placeholder, ``<EMAIL_ADDRESS_1>``. Numbering is per kind, and the same text gets the
  same number within one document — or within one conversation when a
  :class:`~sfshield.dlp.vault.PlaceholderVault` is passed, which keeps the values encrypted and can restore them.
- ``PSEUDONYMIZE`` — the tenant's keyed pseudonym (:class:`~sfshield.transforms.Pseudonymizer`), stable across
  records and runs.
- ``ENCRYPT`` — a surrogate ``<EMAIL_ADDRESS:sf1:…>``: the value encrypted with the
  :class:`~sfshield.crypto.EnvelopeCipher` under the caller's context plus ``kind`` (the placeholder label). The
  decryptor rebuilds that context; :func:`decrypt_surrogates` does it.
- ``QUARANTINE`` and ``BLOCK`` — record-level decisions: the text is held back. Then :attr:`Redaction.text` is
  ``None`` (there is no way to get a partly redacted text), and nothing was encrypted, pseudonymized or stored in a
  vault. The caller quarantines or refuses the record.

**Defaults.** A kind missing from ``actions`` gets ``secret_default`` (``BLOCK``) when it is a credential
(:attr:`EntityKind.is_secret <sfshield.dlp.EntityKind.is_secret>`) and ``default`` (``PLACEHOLDER``) otherwise —
including custom detectors' kinds, of which the redactor cannot know whether they are secret: map those explicitly.

**Overlaps.** Findings that share a character are merged into one span, which gets the strictest of their actions
(:attr:`TextAction.strictness`) and that action's kind. Adjacent findings stay separate.

**Already redacted.** A finding whose text is a placeholder of its own kind, or a surrogate of its own kind that
decrypts under the call's context, is left as it is: redacting redacted text changes nothing, although some
secret patterns (``password=…``) match a placeholder.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeAlias

from sfshield.dlp.findings import EntityKind, Finding, TextAction, check_kind_names
from sfshield.exceptions import ConfigurationError, DecryptionError

if TYPE_CHECKING:
    from sfshield.crypto.cipher import EnvelopeCipher
    from sfshield.crypto.context import EncryptionContext
    from sfshield.dlp.vault import PlaceholderVault
    from sfshield.transforms import Pseudonymizer

__all__ = [
    "PLACEHOLDER_PATTERN",
    "ActionCount",
    "ActionMap",
    "ActionSpec",
    "Redaction",
    "Redactor",
    "Replacement",
    "TextAction",
    "decrypt_surrogates",
    "placeholder_label",
    "redact",
]

PLACEHOLDER_PATTERN: Final = re.compile(r"<([A-Z0-9_]+)_([1-9][0-9]*)>")
"""What a placeholder looks like: ``<LABEL_N>``, the label being the kind in capitals (``<EMAIL_ADDRESS_1>``)."""
_SURROGATE: Final = re.compile(r"<([A-Z0-9_]+):(sf1:[A-Za-z0-9_-]+)>")
_NOT_LABEL: Final = re.compile(r"[^A-Z0-9]+")
_CONTEXT_KEY: Final = "kind"
_POSITION: Final = operator.attrgetter("start", "end")
_HOLDS_BACK: Final = frozenset(action for action in TextAction if action.holds_back)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """An action with its options.

    Attributes:
        action: what to do.
        keep_last: for ``MASK``, how many trailing characters stay (capped at a third of the value); ``None``
            takes the redactor's ``keep_last``.

    Raises:
        ValueError: an unknown action name, a negative ``keep_last``, or ``keep_last`` with another action.
    """

    action: TextAction
    keep_last: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", TextAction(self.action))
        if self.keep_last is not None:
            if self.action is not TextAction.MASK:
                raise ValueError(f"keep_last applies to the mask action only, not to {self.action.value!r}")
            _check_keep_last(self.keep_last)

    @classmethod
    def of(cls, value: _ActionLike, /) -> ActionSpec:
        """``value`` as an :class:`ActionSpec` (an action or its name gets the default options)."""
        return value if isinstance(value, ActionSpec) else cls(TextAction(value))


_ActionLike: TypeAlias = TextAction | ActionSpec | str
ActionMap: TypeAlias = Mapping[str, _ActionLike] | Mapping[EntityKind, _ActionLike]
"""Kind → action (a :class:`TextAction`, its name, or an :class:`ActionSpec`); keys are kind names or EntityKinds."""


@dataclass(frozen=True, slots=True)
class Replacement:
    """One span of the text that was replaced: where it was, where its replacement is, never either text.

    Attributes:
        kind: the kind of the finding (for merged findings, the kind whose action won).
        action: what replaced it.
        source_start: offset of the span in the input text.
        source_end: offset after the span in the input text.
        start: offset of the replacement in the output text.
        end: offset after the replacement in the output text.
    """

    kind: str
    action: TextAction
    source_start: int
    source_end: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ActionCount:
    """How many findings of one kind got one action (the shape of an audit ``FindingCount``)."""

    kind: str
    action: TextAction
    count: int


@dataclass(frozen=True, slots=True)
class Redaction:
    """The result of redacting one text.

    Attributes:
        text: the redacted text, or ``None`` when the text is held back (a finding's action was ``QUARANTINE`` or
            ``BLOCK``). Being ``None`` rather than a partly redacted string, it cannot be sent anywhere by mistake,
            and type checkers make callers handle it.
        decision: ``ALLOW`` when :attr:`text` may be used, else the strictest record-level action found
            (``BLOCK`` over ``QUARANTINE``).
        replacements: the replaced spans in order (empty when held back).
        counts: findings per kind and action, sorted (held-back texts are counted too).
        unchanged: findings left as they were because they already were placeholders or surrogates.
    """

    text: str | None = field(repr=False)
    decision: TextAction
    replacements: tuple[Replacement, ...] = ()
    counts: tuple[ActionCount, ...] = ()
    unchanged: int = 0

    @property
    def held_back(self) -> bool:
        """Whether the text was withheld (quarantine or block); :attr:`text` is then ``None``."""
        return self.text is None

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds that were found."""
        return frozenset(count.kind for count in self.counts)


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    kind: str
    spec: ActionSpec
    kinds: list[str]


class Redactor:
    """Applies actions to the findings in texts; build it once per policy and reuse it (it is thread-safe).

    Args:
        actions: kind → action (a :class:`TextAction`, its name, or an :class:`ActionSpec`).
        default: the action for kinds not in ``actions`` that are not credentials (custom kinds included).
        secret_default: the action for credential kinds not in ``actions``.
        pseudonymizer: the tenant's pseudonymizer; required when an action is ``PSEUDONYMIZE``.
        cipher: the envelope cipher; required when an action is ``ENCRYPT``.
        mask_char: the character ``MASK`` writes.
        keep_last: trailing characters ``MASK`` keeps when its spec does not say (capped at a third of the value).

    >>> from sfshield.dlp import Scanner
    >>> text = "Card 4111 1111 1111 1111, mail ana@example.com or ana@example.com"
    >>> redactor = Redactor({"CREDIT_CARD": ActionSpec(TextAction.MASK, keep_last=4)})
    >>> redactor.redact(text, Scanner().scan(text)).text
    'Card ***************1111, mail <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_1>'

    Raises:
        ConfigurationError: an action needs a pseudonymizer or a cipher that was not given.
        ValueError: an unknown action name, a bad ``mask_char`` or a negative ``keep_last``.
    """

    __slots__ = (
        "_actions",
        "_cipher",
        "_default",
        "_encrypts",
        "_keep_last",
        "_mask_char",
        "_pseudonymizer",
        "_secret_default",
    )

    def __init__(
        self,
        actions: ActionMap | None = None,
        /,
        *,
        default: _ActionLike = TextAction.PLACEHOLDER,
        secret_default: _ActionLike = TextAction.BLOCK,
        pseudonymizer: Pseudonymizer | None = None,
        cipher: EnvelopeCipher | None = None,
        mask_char: str = "*",
        keep_last: int = 0,
    ) -> None:
        check_kind_names(list((actions or {}).keys()), what="actions")
        self._actions = {str(kind): ActionSpec.of(spec) for kind, spec in (actions or {}).items()}
        self._default = ActionSpec.of(default)
        self._secret_default = ActionSpec.of(secret_default)
        if not isinstance(mask_char, str) or len(mask_char) != 1 or mask_char.isspace():
            raise ValueError("mask_char must be one character that is not white space, such as '*'")
        self._mask_char = mask_char
        self._keep_last = _check_keep_last(keep_last)
        self._pseudonymizer = pseudonymizer
        self._cipher = cipher
        used = {spec.action for spec in (*self._actions.values(), self._default, self._secret_default)}
        self._encrypts = TextAction.ENCRYPT in used
        if TextAction.PSEUDONYMIZE in used and pseudonymizer is None:
            raise ConfigurationError("the pseudonymize action needs a key: pass pseudonymizer=Pseudonymizer(key)")
        if TextAction.ENCRYPT in used and cipher is None:
            raise ConfigurationError("the encrypt action needs a cipher: pass cipher=EnvelopeCipher(provider, ...)")

    def __repr__(self) -> str:
        actions = ", ".join(f"{kind}={spec.action.value}" for kind, spec in sorted(self._actions.items()))
        return (
            f"Redactor({{{actions}}}, default={self._default.action.value}, "
            f"secret_default={self._secret_default.action.value})"
        )

    def action_for(self, kind: str, /) -> ActionSpec:
        """The action a finding of ``kind`` gets: its own, else ``secret_default`` for credentials, else ``default``."""
        spec = self._actions.get(kind)
        if spec is not None:
            return spec
        return self._secret_default if _is_secret(kind) else self._default

    def redact(
        self,
        text: str,
        findings: Iterable[Finding],
        /,
        *,
        context: Mapping[str, str] | None = None,
        vault: PlaceholderVault | None = None,
    ) -> Redaction:
        """Apply the actions to the ``findings`` of ``text``.

        Args:
            text: the text that was scanned.
            findings: its findings (a :class:`~sfshield.dlp.ScanResult`, or your own), in any order.
            context: where the text lives — ``tenant``, ``purpose``, and for a field ``sobject``, ``field`` and
                ``record_id`` — required when the redactor encrypts (``kind`` is added per finding).
            vault: records placeholders so that :meth:`PlaceholderVault.restore
                <sfshield.dlp.vault.PlaceholderVault.restore>` can put the values back; also numbers them across
                the vault's scope instead of per text.

        Raises:
            TypeError: ``text`` is not a string.
            ValueError: a finding lies outside the text, or the redactor encrypts and ``context`` is missing,
                invalid, or has its own ``kind``.
            VaultError: the vault's scope expired or cannot be written; nothing was returned.
        """
        if not isinstance(text, str):
            raise TypeError(f"redact() takes text (str), not {type(text).__name__}")
        ctx = self._context(context)
        spans, unchanged = self._spans(text, findings, ctx)
        counts = _count(spans)
        held = [span.spec.action for span in spans if span.spec.action in _HOLDS_BACK]
        if held:
            return Redaction(None, max(held, key=lambda action: action.strictness), (), counts, unchanged)
        return self._apply(text, spans, ctx, vault, counts, unchanged)

    # -- internals -----------------------------------------------------------------------------------------------

    def _context(self, context: Mapping[str, str] | None) -> EncryptionContext | None:
        if not self._encrypts:
            return None
        from sfshield.crypto.context import EncryptionContext  # noqa: PLC0415 - scanning alone never loads crypto

        if context is None:
            raise ValueError("this redactor encrypts: pass context={'tenant': ..., 'purpose': ..., ...}")
        ctx = EncryptionContext.of(context)
        if _CONTEXT_KEY in ctx:
            raise ValueError(f"the context must not have a {_CONTEXT_KEY!r}: the redactor binds each finding's kind")
        return ctx

    def _spans(self, text: str, findings: Iterable[Finding], ctx: EncryptionContext | None) -> tuple[list[_Span], int]:
        spans: list[_Span] = []
        unchanged = 0
        for finding in sorted(findings, key=_POSITION):
            if not 0 <= finding.start < finding.end <= len(text):
                raise ValueError(
                    f"finding {finding.start}..{finding.end} lies outside a text of {len(text)} characters; "
                    "pass the findings of this text"
                )
            kind = finding.kind
            if kind.__class__ is not str:
                kind = str(kind)  # an EntityKind or a custom detector's name: plain text from here on
            if text[finding.start] == "<" and self._already_redacted(text[finding.start : finding.end], kind, ctx):
                unchanged += 1
                continue
            spec = self.action_for(kind)
            last = spans[-1] if spans else None
            if last is None or finding.start >= last.end:  # sorted and disjoint: only the last span can overlap
                spans.append(_Span(finding.start, finding.end, kind, spec, [kind]))
                continue
            last.end = max(last.end, finding.end)
            last.kinds.append(kind)
            if spec.action.strictness > last.spec.action.strictness:
                last.kind, last.spec = kind, spec
        return spans, unchanged

    def _already_redacted(self, value: str, kind: str, ctx: EncryptionContext | None) -> bool:
        if not (value.startswith("<") and value.endswith(">")):
            return False
        label = placeholder_label(kind)
        if _is_placeholder_of(value, label):
            return True
        match = _SURROGATE.fullmatch(value)
        if match is None or match.group(1) != label or ctx is None or self._cipher is None:
            return False
        try:
            _open_surrogate(match, self._cipher, ctx)
        except DecryptionError:
            return False  # a look-alike that does not authenticate is data like any other
        return True

    def _apply(  # noqa: PLR0917 - private: the parts of one redaction
        self,
        text: str,
        spans: list[_Span],
        ctx: EncryptionContext | None,
        vault: PlaceholderVault | None,
        counts: tuple[ActionCount, ...],
        unchanged: int,
    ) -> Redaction:
        placeholders = _placeholders(text, spans, vault)
        pieces: list[str] = []
        replacements: list[Replacement] = []
        position = length = 0
        for index, span in enumerate(spans):
            if span.spec.action is TextAction.ALLOW:
                continue
            new = placeholders.get(index) or self._replace(text[span.start : span.end], span, ctx)
            pieces.append(text[position : span.start])
            length += span.start - position
            replacements.append(
                Replacement(span.kind, span.spec.action, span.start, span.end, length, length + len(new))
            )
            pieces.append(new)
            length += len(new)
            position = span.end
        pieces.append(text[position:])
        return Redaction("".join(pieces), TextAction.ALLOW, tuple(replacements), counts, unchanged)

    def _replace(self, value: str, span: _Span, ctx: EncryptionContext | None) -> str:
        action = span.spec.action
        if action is TextAction.MASK:
            keep = span.spec.keep_last if span.spec.keep_last is not None else self._keep_last
            shown = min(keep, len(value) // 3)
            return self._mask_char * (len(value) - shown) + value[len(value) - shown :]
        if action is TextAction.PSEUDONYMIZE and self._pseudonymizer is not None:
            return str(self._pseudonymizer(value, kind=span.kind))
        if action is TextAction.ENCRYPT and self._cipher is not None and ctx is not None:
            return _surrogate(value, placeholder_label(span.kind), self._cipher, ctx)
        raise AssertionError(f"unreachable: {action.value} was checked at construction")  # pragma: no cover


def redact(
    text: str,
    findings: Iterable[Finding],
    /,
    *,
    actions: ActionMap | None = None,
    default: _ActionLike = TextAction.PLACEHOLDER,
    secret_default: _ActionLike = TextAction.BLOCK,
    pseudonymizer: Pseudonymizer | None = None,
    cipher: EnvelopeCipher | None = None,
    context: Mapping[str, str] | None = None,
    vault: PlaceholderVault | None = None,
    mask_char: str = "*",
    keep_last: int = 0,
) -> Redaction:
    """Redact one text: ``Redactor(actions, ...).redact(text, findings, ...)`` (see :class:`Redactor`).

    >>> from sfshield.dlp import Scanner
    >>> text = "ana@example.com, key AKIAIOSFODNN7EXAMPLE"
    >>> result = redact(text, Scanner().scan(text))
    >>> result.text is None, result.decision.value
    (True, 'block')
    """
    redactor = Redactor(
        actions,
        default=default,
        secret_default=secret_default,
        pseudonymizer=pseudonymizer,
        cipher=cipher,
        mask_char=mask_char,
        keep_last=keep_last,
    )
    return redactor.redact(text, findings, context=context, vault=vault)


def decrypt_surrogates(text: str, /, *, cipher: EnvelopeCipher, context: Mapping[str, str]) -> str:
    """Return ``text`` with every ``ENCRYPT`` surrogate (``<EMAIL_ADDRESS:sf1:…>``) replaced by its value.

    The decryptor rebuilds the context the redactor used: the same ``context`` (tenant, purpose, object, field,
    record id …) that was passed to :meth:`Redactor.redact`; the ``kind`` comes from each surrogate's label.

    Raises:
        DecryptionError: a surrogate does not decrypt (damaged, moved to another context, or its key is gone);
            nothing is returned.
        ValueError: the context is invalid or has its own ``kind``.
    """
    from sfshield.crypto.context import EncryptionContext  # noqa: PLC0415 - scanning alone never loads crypto

    ctx = EncryptionContext.of(context)
    if _CONTEXT_KEY in ctx:
        raise ValueError(f"the context must not have a {_CONTEXT_KEY!r}: each surrogate carries its kind")
    return _SURROGATE.sub(lambda match: _open_surrogate(match, cipher, ctx), text)


# -- placeholders (shared with the vault) -------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def placeholder_label(kind: str, /) -> str:
    """The label of ``kind`` in placeholders and surrogates: capitals, digits and ``_`` (``email`` → ``EMAIL``)."""
    return _NOT_LABEL.sub("_", kind.upper()).strip("_") or "VALUE"


def _is_placeholder_of(text: str, label: str, /) -> bool:
    """Whether ``text`` is exactly a placeholder with ``label``."""
    match = PLACEHOLDER_PATTERN.fullmatch(text)
    return match is not None and match.group(1) == label


def _next_placeholder(label: str, counters: dict[str, int], taken: Container[str], /) -> str:
    """The next free placeholder for ``label`` after ``counters[label]``, skipping ``taken``; advances the counter."""
    number = counters.get(label, 0) + 1
    while f"<{label}_{number}>" in taken:
        number += 1
    counters[label] = number
    return f"<{label}_{number}>"


def _placeholders(text: str, spans: Sequence[_Span], vault: PlaceholderVault | None) -> dict[int, str]:
    wanted = [(index, span) for index, span in enumerate(spans) if span.spec.action is TextAction.PLACEHOLDER]
    if not wanted:
        return {}
    # Placeholder-shaped text already in the input is never issued again, so a restore cannot confuse the two.
    reserved = {match.group() for match in PLACEHOLDER_PATTERN.finditer(text)} if "<" in text else set()
    items = [(span.kind, text[span.start : span.end]) for _, span in wanted]
    made = vault.placeholders_for(items, reserved=reserved) if vault is not None else _number(items, reserved)
    return {index: placeholder for (index, _), placeholder in zip(wanted, made, strict=True)}


def _number(items: Sequence[tuple[str, str]], reserved: set[str]) -> list[str]:
    seen: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}
    for kind, value in items:
        if (kind, value) not in seen:
            seen[kind, value] = _next_placeholder(placeholder_label(kind), counters, reserved)
    return [seen[item] for item in items]


# -- surrogates ---------------------------------------------------------------------------------------------------


def _surrogate(value: str, label: str, cipher: EnvelopeCipher, ctx: EncryptionContext) -> str:
    from sfshield.crypto import envelope  # noqa: PLC0415 - scanning alone never loads crypto

    blob = cipher.encrypt(value.encode("utf-8", "surrogatepass"), context=ctx.replace(**{_CONTEXT_KEY: label}))
    return f"<{label}:{envelope.to_text(blob)}>"


def _open_surrogate(match: re.Match[str], cipher: EnvelopeCipher, ctx: EncryptionContext) -> str:
    from sfshield.crypto import envelope  # noqa: PLC0415 - scanning alone never loads crypto

    blob = envelope.from_text(match.group(2))
    if blob is None:
        raise DecryptionError
    plaintext = cipher.decrypt(blob, context=ctx.replace(**{_CONTEXT_KEY: match.group(1)}))
    try:
        return plaintext.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise DecryptionError from None


# -- helpers ------------------------------------------------------------------------------------------------------


def _is_secret(kind: str) -> bool:
    try:
        return EntityKind(kind).is_secret
    except ValueError:
        return False


def _check_keep_last(keep_last: int) -> int:
    if not isinstance(keep_last, int) or isinstance(keep_last, bool) or keep_last < 0:
        raise ValueError(f"keep_last must be an integer >= 0, got {keep_last!r}")
    return keep_last


def _count(spans: Sequence[_Span]) -> tuple[ActionCount, ...]:
    counter: dict[tuple[str, TextAction], int] = {}
    for span in spans:
        action = span.spec.action
        for kind in span.kinds:
            counter[kind, action] = counter.get((kind, action), 0) + 1
    return tuple(ActionCount(kind, action, count) for (kind, action), count in sorted(counter.items()))
