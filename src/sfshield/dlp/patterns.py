r"""The built-in pattern detectors: one regular expression per shape, a validator, context words, a confidence.

Every pattern is written in the common subset of RE2 and Python's ``re`` (no look-around, no back-references,
``[0-9]`` rather than ``\d``), so the scanner can run it on google-re2 or, where that is missing, on ``re``.

A pattern whose ``kind`` is ``None`` is an *exclusion*: its matches are never reported, but they claim their span
so that lower-priority kinds cannot (a Salesforce record id is not a phone number or a secret).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sfshield.dlp import validators
from sfshield.dlp.findings import Confidence, EntityKind

__all__ = [
    "KIND_PRIORITY",
    "Pattern",
    "commercial_patterns",
    "default_patterns",
    "dictionary_pattern",
    "pii_patterns",
    "secret_patterns",
]

_K = EntityKind
_C = Confidence

KIND_PRIORITY: dict[str, int] = {
    _K.PRIVATE_KEY: 100,
    _K.SALESFORCE_ACCESS_TOKEN: 98,
    _K.SALESFORCE_REFRESH_TOKEN: 98,
    _K.SALESFORCE_CONSUMER_KEY: 97,
    _K.JWT: 96,
    _K.AWS_ACCESS_KEY: 95,
    _K.GITHUB_TOKEN: 95,
    _K.SLACK_TOKEN: 95,
    _K.STRIPE_KEY: 95,
    _K.SALESFORCE_CONSUMER_SECRET: 94,
    _K.EMAIL_ADDRESS: 92,
    _K.IBAN_CODE: 90,
    _K.CREDIT_CARD: 85,
    _K.US_SSN: 80,
    _K.UK_NINO: 80,
    _K.GENERIC_SECRET: 75,
    "": 70,  # exclusions (record ids): above everything they protect from false positives
    _K.IP_ADDRESS: 60,
    _K.DATE_OF_BIRTH: 55,
    _K.PHONE_NUMBER: 50,
    _K.IP_MARKER: 45,
    _K.COMMERCIAL_TERMS: 40,
}
"""Which kind wins when two findings overlap (higher wins): a validated IBAN beats a card beats a phone."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One pattern detector.

    Attributes:
        name: the detector name reported in findings.
        kind: the kind it finds, or ``None`` for an exclusion.
        regex: the expression (RE2 / ``re`` common subset).
        confidence: the confidence of a validated match without context.
        group: the capturing group whose span is the finding (0: the whole match).
        validator: called with the group's text; a false result drops the candidate.
        context: lower-case words that raise the confidence when found near the match (or in the field name).
        window: how many characters before the match are searched for context (half as many after it).
        requires_context: drop the match unless a context word is near.
        exclude_context: words that, near the match, say it is something else.
    """

    name: str
    kind: str | None
    regex: str
    confidence: Confidence = Confidence.POSSIBLE
    group: int = 0
    validator: Callable[[str], bool] | None = None
    context: tuple[str, ...] = ()
    window: int = 48
    requires_context: bool = False
    exclude_context: tuple[str, ...] = ()
    """Lower-case words that, near the match, make it VERY_UNLIKELY (``version`` before ``1.2.3.4``)."""
    confirm: str | None = None
    """The expression Python's ``re`` uses to find spans, when it must differ from ``regex`` (which RE2 runs in the
    one-pass set): for example a negative look-ahead that keeps a pattern linear on hostile input."""
    priority_override: int | None = None
    """The overlap priority, when it must differ from the kind's (an IBAN-shaped exclusion above cards)."""
    shrink: bool = False
    """When the validator refuses a match, retry shorter matches ending at a space inside it (two phone numbers
    separated by one space are otherwise read as one long, invalid number)."""
    refine: Callable[[str], str | None] | None = field(default=None, compare=False)
    """Optionally returns a more specific kind for the matched text (a JWT issued by Salesforce)."""
    prefilter: str | None = None
    """What the scanner's one pass looks for instead of ``regex``, when a narrower expression can rule out texts
    where no match would pass the validator (a national phone number has at least ten digits). It must match
    wherever such a match could be, or findings are lost: ``tests/dlp/test_scanner_prefilters.py`` holds the
    built-in ones to that."""

    def __post_init__(self) -> None:
        for expression in (self.regex, self.confirm, self.prefilter):
            if expression is None:
                continue
            try:
                re.compile(expression)
            except re.error as exc:
                raise ValueError(f"pattern {self.name!r} does not compile: {exc}") from None

    @property
    def priority(self) -> int:
        """The overlap priority of the pattern's kind (50 for kinds the table does not know)."""
        if self.priority_override is not None:
            return self.priority_override
        return KIND_PRIORITY.get(self.kind or "", 50)


_BARE_PHONE_CONTEXT = (
    "phone",
    "tel",
    "mobile",
    "cell",
    "call",
    "fax",
    "contact",
    "whatsapp",
    "ring",
    "handy",
    "telefon",
)
_PHONE_CONTEXT = (
    *_BARE_PHONE_CONTEXT,
    "tél",
    "portable",
    "rappel",
    "rappeler",
    "rückruf",
    "mobil",
    "erreichbar",
    "durchwahl",
    "direct line",
    "reach",
)
_BIRTH_CONTEXT = (
    "born",
    "birth",
    "dob",
    "d.o.b",
    "birthday",
    "geburtsdatum",
    "geboren",
    "geb.",
    "né le",
    "née le",
    "naissance",
)
_SECRET_WORDS = r"(?:password|passwd|pwd|passphrase|pin code|passwort|kennwort|mot de passe)"  # noqa: S105 - keywords, not a password
_KEY_WORDS = (
    r"(?:secret|api[_-]?key|apikey|access[_-]?key|auth[_-]?token|access[_-]?token|bearer|token|"
    r"private[_-]?key|credentials?)"
)


_IBAN_COUNTRIES = "|".join(sorted(validators.IBAN_LENGTHS))


_NON_DIGITS = re.compile(r"[^0-9]+")


def _plausible_birth_date(text: str) -> bool:
    numbers = [int(part) for part in _NON_DIGITS.split(text) if part]
    if len(numbers) != 3:
        return False
    if numbers[0] > 31:  # year first: YYYY-MM-DD
        year, month, day = numbers
    else:  # DD.MM.YYYY or MM/DD/YYYY: accept either order
        day, month, year = numbers
        if month > 12:
            day, month = month, day
    if year < 100:
        year += 1900
    try:
        born = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return False
    return 1900 <= born.year <= datetime.now(UTC).year


def _phone(text: str) -> bool:
    digits = _NON_DIGITS.sub("", text)
    if not 8 <= len(digits) <= 15 or len(set(digits)) <= 2:
        return False
    if text.startswith("+"):
        return True
    if len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789":
        return True  # NANP: area code and exchange start 2-9
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "23456789" and digits[4] in "23456789":
        return True
    return digits[0] == "0" and digits[1] != "0" and 10 <= len(digits) <= 12  # national trunk prefix (EU, UK)


def _email(text: str) -> bool:
    local, _, domain = text.rpartition("@")
    return 0 < len(local) <= 64 and ".." not in text and not domain.startswith(("-", ".")) and "." in domain


def _jwt_kind(text: str) -> str | None:
    import base64  # noqa: PLC0415 - only for JWTs, which are rare
    import json  # noqa: PLC0415

    head, _, rest = text.partition(".")
    body = rest.partition(".")[0]
    for part in (head, body):
        try:
            decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except ValueError:
            continue
        if isinstance(decoded, dict) and decoded.get("tty") == "sfdc-core-token":
            return EntityKind.SALESFORCE_ACCESS_TOKEN
    return None


_HEX = frozenset("0123456789abcdefABCDEF")


def _generic_secret(text: str) -> bool:
    if len(text) < 16:
        return False
    if text.isalpha():
        # Letters only: a random key has both cases and high entropy; a CamelCase word does not.
        return (
            len(text) >= 24
            and not text.islower()
            and not text.isupper()
            and (validators.entropy_bits_per_char(text) >= 4.0)
        )
    # Random hex carries at most 4 bits per character; 32-hex keys often measure just above 3.
    floor = 3.0 if _HEX.issuperset(text) else 3.5
    return validators.entropy_bits_per_char(text) >= floor


def _password(text: str) -> bool:
    # Placeholder-shaped values are reported too: a look-alike must not hide a password. The redactor leaves its
    # own placeholders and (authenticated) surrogates alone.
    return len(text) >= 6 and text.lower() not in {"required", "reset", "changed", "expired", "policy", "protected"}


def _bare_password(text: str) -> bool:
    """A value after a password keyword without ``:`` or ``=``: only when it looks made up, not like a word."""
    has_digit = any(char.isdigit() for char in text)
    has_letter = any(char.isalpha() for char in text)
    has_symbol = any(not char.isalnum() for char in text)
    return _password(text) and ((has_digit and has_letter) or (has_letter and has_symbol))


def _record_id(text: str) -> bool:
    if len(text) == 18:
        return validators.salesforce_id(text)
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def pii_patterns() -> list[Pattern]:
    """Personal data: e-mail, phone, card, IBAN, SSN, NINO, IP address, date of birth (and record-id exclusions)."""
    return [
        Pattern(
            "email",
            _K.EMAIL_ADDRESS,
            r"\b[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
            r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b",
            _C.VERY_LIKELY,
            validator=_email,
        ),
        Pattern(
            "phone_international",
            _K.PHONE_NUMBER,
            r"\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){2,5}\b",
            _C.LIKELY,
            validator=_phone,
            context=_PHONE_CONTEXT,
            shrink=True,
        ),
        Pattern(
            "phone_nanp",
            _K.PHONE_NUMBER,
            r"(?:\b1[ .-]?)?(?:\([2-9][0-9]{2}\)[ .-]?|\b[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}\b",
            _C.LIKELY,
            validator=_phone,
            context=_PHONE_CONTEXT,
            shrink=True,
        ),
        Pattern(
            "phone_national",
            _K.PHONE_NUMBER,
            r"\b0[1-9][0-9]{0,4}(?:[ /.-][0-9]{2,8}){1,4}\b",
            _C.UNLIKELY,
            validator=_phone,
            context=_PHONE_CONTEXT,
            shrink=True,
            # _phone wants 10 to 12 digits after a trunk 0: dates (03.2027) and short numbers need not run.
            prefilter=r"\b0[1-9](?:[ /.-]?[0-9]){8}",
        ),
        Pattern(
            "phone_digits",
            _K.PHONE_NUMBER,
            r"\b[0-9]{10,11}\b",
            _C.UNLIKELY,
            validator=_phone,
            context=_BARE_PHONE_CONTEXT,
            window=20,
            requires_context=True,
        ),
        Pattern(
            "credit_card",
            _K.CREDIT_CARD,
            r"\b[0-9](?:[ -]?[0-9]){11,18}\b",
            _C.VERY_LIKELY,
            validator=validators.card_number,
            shrink=True,
            context=("card", "visa", "mastercard", "amex", "credit", "cc", "kreditkarte", "carte"),
        ),
        Pattern(
            "iban",
            _K.IBAN_CODE,
            r"\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b",
            _C.VERY_LIKELY,
            validator=validators.iban,
            shrink=True,
        ),
        Pattern(
            "us_ssn",
            _K.US_SSN,
            r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b",
            _C.LIKELY,
            validator=validators.us_ssn,
            context=("ssn", "social security", "social sec", "ss#", "ss #"),
        ),
        Pattern(
            "us_ssn_context",
            _K.US_SSN,
            r"\b[0-9]{3} ?[0-9]{2} ?[0-9]{4}\b",
            _C.POSSIBLE,
            validator=validators.us_ssn,
            context=("ssn", "social security", "social sec", "ss#", "ss #"),
            requires_context=True,
        ),
        Pattern(
            "uk_nino",
            _K.UK_NINO,
            r"\b[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]\b",
            _C.LIKELY,
            validator=validators.uk_nino,
            context=("nino", "national insurance", "ni number", "ni no"),
        ),
        Pattern(
            "ipv4",
            _K.IP_ADDRESS,
            r"\b[0-9]{1,3}(?:\.[0-9]{1,3}){3}\b",
            _C.LIKELY,
            validator=validators.ipv4,
            context=("ip", "address", "host", "server", "login from", "source"),
            exclude_context=("version", "release", "build", "v.", "ver", "firmware", "patch", "oid"),
            window=16,
        ),
        Pattern(
            "ipv6",
            _K.IP_ADDRESS,
            r"\b[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b",
            _C.LIKELY,
            validator=validators.ipv6,
            # The validator wants three colons or more: times (12:30:45) need not run.
            prefilter=r"\b[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){3,7}\b",
        ),
        Pattern(
            "date_of_birth",
            _K.DATE_OF_BIRTH,
            r"\b(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[./-][0-9]{1,2}[./-](?:[0-9]{4}|[0-9]{2}))\b",
            _C.LIKELY,
            validator=_plausible_birth_date,
            context=_BIRTH_CONTEXT,
            window=32,
            requires_context=True,
        ),
        Pattern(
            # Anything shaped like an IBAN (even with a wrong check digit) is not a card number.
            "iban_shape",
            None,
            rf"\b(?:{_IBAN_COUNTRIES})[0-9]{{2}}(?: ?[A-Z0-9]{{4}}){{2,7}}(?: ?[A-Z0-9]{{1,3}})?\b",
            priority_override=88,
        ),
        Pattern(
            "salesforce_record_id",
            None,
            r"\b[a-zA-Z0-9]{5}0[a-zA-Z0-9]{9}(?:[A-Z0-5]{3})?\b",
            validator=_record_id,
        ),
    ]


def secret_patterns() -> list[Pattern]:
    """Credentials: Salesforce tokens and keys, private keys, JWTs, cloud and SaaS provider keys, keyword secrets."""
    return [
        Pattern(
            "private_key",
            _K.PRIVATE_KEY,
            r"-----BEGIN[A-Z ]{0,24} PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\r\n\t :,-]*?"
            r"-----END[A-Z ]{0,24} PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\r\n]*)",
            _C.VERY_LIKELY,
            # For re: the body stops at the next "-----" (the END line, or the next BEGIN of a hostile text), so a
            # text of many BEGIN lines costs linear time, not quadratic.
            confirm=(
                r"-----BEGIN[A-Z ]{0,24} PRIVATE KEY(?: BLOCK)?-----(?:(?:(?!-----)[\s\S])*"
                r"-----END[A-Z ]{0,24} PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\r\n]*)"
            ),
        ),
        Pattern(
            "salesforce_session_id",
            _K.SALESFORCE_ACCESS_TOKEN,
            r"\b00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?![A-Za-z0-9_.]{40,}",
            _C.VERY_LIKELY,
            validator=validators.salesforce_session_token,
        ),
        Pattern(
            "salesforce_refresh_token",
            _K.SALESFORCE_REFRESH_TOKEN,
            r"\b5[Aa][Ee][Pp]861[A-Za-z0-9._=]{60,}",
            _C.VERY_LIKELY,
        ),
        Pattern(
            "salesforce_consumer_key",
            _K.SALESFORCE_CONSUMER_KEY,
            r"\b3MVG[0-9A-Za-z][0-9A-Za-z._+/=]{60,250}",
            _C.VERY_LIKELY,
        ),
        Pattern(
            "salesforce_consumer_secret",
            _K.SALESFORCE_CONSUMER_SECRET,
            r"(?i)(?:consumer|client)[ _-]?secret[\"']?\s*(?:[:=]|\bis\b|\blautet\b|\best\b)?\s*[\"']?"
            r"([A-Za-z0-9+/=.]{64}|[0-9]{19})\b",
            _C.VERY_LIKELY,
            group=1,
        ),
        Pattern(
            "jwt",
            _K.JWT,
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}",
            _C.VERY_LIKELY,
            validator=validators.jwt,
            refine=_jwt_kind,
        ),
        Pattern("aws_access_key", _K.AWS_ACCESS_KEY, r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b", _C.VERY_LIKELY),
        Pattern(
            "github_token",
            _K.GITHUB_TOKEN,
            r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,90})\b",
            _C.VERY_LIKELY,
        ),
        Pattern("slack_token", _K.SLACK_TOKEN, r"\bxox[abposr]-[A-Za-z0-9-]{10,100}", _C.VERY_LIKELY),
        Pattern("stripe_key", _K.STRIPE_KEY, r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,99}\b", _C.VERY_LIKELY),
        Pattern(
            "password_assignment",
            _K.GENERIC_SECRET,
            rf"(?i)\b{_SECRET_WORDS}[\"']?\s*(?:[:=]|\bis\b|\blautet\b|\bist\b|\best\b)\s*[\"']?([^\s\"',;]{{6,128}})",
            _C.LIKELY,
            group=1,
            validator=_password,
        ),
        Pattern(
            "password_bare",
            _K.GENERIC_SECRET,
            rf"(?i)\b{_SECRET_WORDS}\s+[\"']?([^\s\"',;]{{6,128}})",
            _C.LIKELY,
            group=1,
            validator=_bare_password,
        ),
        Pattern(
            "keyword_secret",
            _K.GENERIC_SECRET,
            rf"(?i)(?:\b|_){_KEY_WORDS}[\"']?\s*(?:[:=]|\bis\b)?\s*[\"']?([A-Za-z0-9+/=_.~-]{{16,256}})",
            _C.LIKELY,
            group=1,
            validator=_generic_secret,
        ),
    ]


_AMOUNT = (
    r"(?:[0-9]+(?:[.,][0-9]+)?\s?%|[$€£]\s?[0-9]+(?:[.,][0-9]+)*(?:\s?[kKmM]\b)?|(?:USD|EUR|GBP|CHF)\s?[0-9]+"
    r"(?:[.,][0-9]+)*|[0-9]+(?:[., ][0-9]{3})*(?:[.,][0-9]+)?\s?(?:USD|EUR|GBP|CHF|€))"
)
_COMMERCIAL_WORDS = (
    r"discount|rebate|list price|net price|unit price|price|pricing|margin|contract value|acv|tcv|arr|"
    r"renewal uplift|uplift|payment terms|rabatt|nachlass|listenpreis|preis|remise|prix catalogue|prix|tarif"
)


def commercial_patterns() -> list[Pattern]:
    """Company information: confidentiality markers and pricing, discount and contract-term phrases with amounts."""
    return [
        Pattern(
            "confidentiality_marker",
            _K.IP_MARKER,
            r"(?i)\b(?:strictly confidential|confidential|internal use only|internal only|do not distribute|"
            r"proprietary and confidential|attorney[- ]client privileged|under nda|streng vertraulich|vertraulich|"
            r"nur für den internen gebrauch|strictement confidentiel|confidentiel|usage interne uniquement)\b",
            _C.LIKELY,
        ),
        Pattern(
            "commercial_terms",
            _K.COMMERCIAL_TERMS,
            rf"(?i)\b(?:(?:{_COMMERCIAL_WORDS})\b[^.\n]{{0,40}}?{_AMOUNT}|{_AMOUNT}\s(?:{_COMMERCIAL_WORDS})\b)",
            _C.LIKELY,
        ),
    ]


def dictionary_pattern(
    terms: Iterable[str], /, *, name: str = "dictionary", kind: str = EntityKind.IP_MARKER
) -> Pattern:
    """One pattern that finds any of ``terms`` (code names, product names) as whole words, case-insensitively.

    Thousands of terms compile into one automaton (RE2 turns the alternation of literals into a trie), so the
    dictionary costs one pass whatever its size.

    Raises:
        ValueError: no terms, or a term that is empty after trimming.
    """
    cleaned = sorted({term.strip() for term in terms}, key=lambda term: (-len(term), term))
    if not cleaned or not all(cleaned):
        raise ValueError("a dictionary needs at least one non-empty term")
    alternation = "|".join(re.escape(term) for term in cleaned)
    return Pattern(name, kind, rf"(?i)\b(?:{alternation})\b", Confidence.VERY_LIKELY)


def default_patterns(*, dictionary: Sequence[str] = ()) -> list[Pattern]:
    """Every built-in pattern, plus a company-IP dictionary when ``dictionary`` is given."""
    patterns = [*secret_patterns(), *pii_patterns(), *commercial_patterns()]
    if dictionary:
        patterns.append(dictionary_pattern(dictionary))
    return patterns
