"""A seeded generator of CRM free text with exact labels: the DLP evaluation set and the throughput data.

Records read like what lands in Salesforce text fields: Case descriptions, e-mails, call notes and Opportunity next
steps, in English, German and French. Sensitive values are planted through sentence templates and labelled with
their exact character span, their kind (an :class:`~sfshield.dlp.EntityKind`), their *shape* (the format, such as
``amex/4-6-5-dash``) and the template they were planted in, so a failure can be traced to a format or a context.
Hard negatives (values that look sensitive and are not) are planted the same way and labelled as distractors.

Every valid value is built here, with checksums computed here (Luhn, ISO 7064 mod 97, the Salesforce 18-character
id suffix), never with sfshield's validators, so the evaluation does not grade the scanner against itself.

Labelling conventions (what a correct finding covers):

* the value only, never the context word: ``SSN 123-45-6789`` labels ``123-45-6789``; ``password: Winter2024!``
  labels ``Winter2024!``; ``Geburtsdatum: 12.03.1985`` labels ``12.03.1985``;
* separators belong to the value: a grouped card or IBAN includes its spaces or dashes, a phone includes its
  leading ``+``, parentheses and inner separators (``+49 (0)30 1234567``, ``(415) 555-0123``), not a trailing
  sentence period;
* a private key is the whole ``-----BEGIN … PRIVATE KEY-----`` … ``-----END … -----`` block;
* a Salesforce JWT access token (header ``tty: sfdc-core-token``) is a ``SALESFORCE_ACCESS_TOKEN``, not a ``JWT``;
* a confidentiality marker is its phrase (``Strictly Confidential``), a dictionary code name its term;
* commercial terms are the phrase from the pricing word to the end of the amount, in the order written
  (``discount of 15%``, ``15% discount``, ``Rabatt von 15 %``);
* tokens whose alphabet includes ``.`` (session ids, refresh tokens, consumer keys) are followed by a space or a
  line break, never by a sentence period, because no scanner can tell that period from the token.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sfshield.dlp import EntityKind

__all__ = [
    "CODE_NAMES",
    "EVAL_NEGATIVES",
    "EVAL_QUOTAS",
    "EVAL_SEED",
    "THROUGHPUT_SEED",
    "THROUGHPUT_WEIGHTS",
    "Distractor",
    "Label",
    "Record",
    "describe",
    "dictionary",
    "evaluation_corpus",
    "iban_valid",
    "luhn_valid",
    "salesforce_id_valid",
    "throughput_corpus",
]

K = EntityKind
EVAL_SEED = 2026
THROUGHPUT_SEED = 42

CODE_NAMES = (
    "Project Falcon",
    "Bluebird",
    "Orion Gate",
    "Nimbus-7",
    "Project Kestrel",
    "Silverline",
    "Cobalt Drift",
    "Redwood Initiative",
    "Atlas Prime",
    "Halcyon",
    "Project Tundra",
    "Quartz Lake",
)
"""The company code names the corpus plants as ``IP_MARKER``: pass them (or :func:`dictionary`) to the scanner."""


@dataclass(frozen=True, slots=True)
class Label:
    """A sensitive value the scanner must find: its span, kind, format and the template it was planted in."""

    start: int
    end: int
    kind: str
    shape: str
    template: str


@dataclass(frozen=True, slots=True)
class Distractor:
    """A hard negative: a value that looks sensitive and is not (an order number, a record id, a bad IBAN)."""

    start: int
    end: int
    shape: str
    template: str


@dataclass(frozen=True, slots=True)
class Record:
    """One generated text with its labels and distractors."""

    text: str
    labels: tuple[Label, ...]
    distractors: tuple[Distractor, ...]
    source: str
    language: str


# -- checksums, written here on purpose (see the module docstring) ---------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check."""
    total = 0
    for position, char in enumerate(digits[::-1]):
        doubled = int(char) * (1 + position % 2)
        total += doubled // 10 + doubled % 10
    return total % 10 == 0


def _luhn_complete(payload: str) -> str:
    """``payload`` plus the check digit that makes it pass Luhn."""
    return next(payload + digit for digit in "0123456789" if luhn_valid(payload + digit))


def _iban_number(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text))


def iban_valid(text: str) -> bool:
    """Whether an IBAN (spaces allowed) passes ISO 7064 mod 97-10."""
    compact = text.replace(" ", "")
    return _iban_number(compact[4:] + compact[:4]) % 97 == 1


def _iban_check(country: str, bban: str) -> int:
    return 98 - _iban_number(bban + country + "00") % 97


_ID_SUFFIX = string.ascii_uppercase + "012345"


def _salesforce_suffix(record_id: str) -> str:
    out = ""
    for chunk in (record_id[0:5], record_id[5:10], record_id[10:15]):
        weight = sum(2**index for index, char in enumerate(chunk) if char in string.ascii_uppercase)
        out += _ID_SUFFIX[weight]
    return out


def salesforce_id_valid(text: str) -> bool:
    """Whether an 18-character Salesforce record id carries the right case-checksum suffix."""
    return len(text) == 18 and _salesforce_suffix(text[:15]) == text[15:]


# -- value generators: each returns (value, shape) --------------------------------------------------------------------

Rng = random.Random
Value = tuple[str, str]
ValueFn = Callable[[Rng], Value]

_ALNUM = string.ascii_letters + string.digits
_TOKEN = _ALNUM + "._"
_B64 = _ALNUM + "+/"
_B64URL = _ALNUM + "-_"
_HEX = "0123456789abcdef"


def _chars(rng: Rng, alphabet: str, count: int) -> str:
    return "".join(rng.choices(alphabet, k=count))


def _digits(rng: Rng, count: int) -> str:
    return _chars(rng, string.digits, count)


def _group(text: str, sizes: Sequence[int], sep: str) -> str:
    parts, index = [], 0
    for size in sizes:
        parts.append(text[index : index + size])
        index += size
    return sep.join(part for part in parts if part)


_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ç": "c", "ï": "i"})
_FIRST = {
    "en": ("Anna", "James", "Emily", "Michael", "Sarah", "David", "Laura", "Robert", "Olivia", "Daniel"),
    "de": ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Sophie", "Maximilian", "Marie", "Paul", "Hannah"),
    "fr": ("Camille", "Louis", "Chloé", "Hugo", "Manon", "Lucas", "Léa", "Thomas", "Inès", "Julien"),
}
_LAST = {
    "en": ("Miller", "Johnson", "Clarke", "Patel", "Wright", "Turner", "Hughes", "Brooks", "Foster", "Reed"),
    "de": ("Müller", "Schmidt", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter"),
    "fr": ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefèvre", "Girard", "Roux", "Fournier", "Mercier"),
}
_COMPANIES = {
    "en": ("Acme Corp", "Globex", "Initech", "Umbrella Logistics", "Vertex Pharma", "Northwind Traders"),
    "de": ("Nordwind AG", "Brandt & Söhne GmbH", "Rheinwerk Logistik", "Alpenblick Versicherung"),
    "fr": ("Soleil Industries SA", "Groupe Lumière", "Transports Duval", "Atelier Marchand"),
}
_DOMAINS = (
    "acme.com",
    "globex.io",
    "initech.net",
    "vertex-pharma.co.uk",
    "nordwind.de",
    "brandt-soehne.de",
    "soleil-industries.fr",
    "mail.groupe-lumiere.fr",
    "example.org",
)


def _person(rng: Rng, language: str) -> tuple[str, str]:
    return rng.choice(_FIRST[language]), rng.choice(_LAST[language])


def email(rng: Rng) -> Value:
    first, last = _person(rng, rng.choice(("en", "de", "fr")))
    first, last = first.lower().translate(_ASCII), last.lower().translate(_ASCII)
    domain = rng.choice(_DOMAINS)
    shape = rng.choice(("first.last", "f.last", "first_last+tag", "Capitalised"))
    local = {
        "first.last": f"{first}.{last}",
        "f.last": f"{first[0]}.{last}",
        "first_last+tag": f"{first}_{last}+crm",
        "Capitalised": f"{first.title()}.{last.title()}",
    }[shape]
    if shape == "Capitalised":
        domain = domain.title()
    return f"{local}@{domain}", f"email/{shape}"


def _nanp(rng: Rng) -> tuple[str, str, str]:
    return str(rng.randint(201, 989)), str(rng.randint(200, 999)), _digits(rng, 4)


def phone_nanp(rng: Rng) -> Value:
    area, exchange, line = _nanp(rng)
    shape = rng.choice(("(area) xxx-xxxx", "xxx-xxx-xxxx", "xxx.xxx.xxxx", "1-xxx-xxx-xxxx", "xxx xxx xxxx"))
    text = {
        "(area) xxx-xxxx": f"({area}) {exchange}-{line}",
        "xxx-xxx-xxxx": f"{area}-{exchange}-{line}",
        "xxx.xxx.xxxx": f"{area}.{exchange}.{line}",
        "1-xxx-xxx-xxxx": f"1-{area}-{exchange}-{line}",
        "xxx xxx xxxx": f"{area} {exchange} {line}",
    }[shape]
    return text, f"phone/nanp {shape}"


def phone_e164(rng: Rng) -> Value:
    area, exchange, line = _nanp(rng)
    shape = rng.choice(("+1xxxxxxxxxx", "+1 xxx xxx xxxx", "+1 (xxx) xxx-xxxx", "+44xxxxxxxxxx"))
    text = {
        "+1xxxxxxxxxx": f"+1{area}{exchange}{line}",
        "+1 xxx xxx xxxx": f"+1 {area} {exchange} {line}",
        "+1 (xxx) xxx-xxxx": f"+1 ({area}) {exchange}-{line}",
        "+44xxxxxxxxxx": f"+447700{_digits(rng, 6)}",
    }[shape]
    return text, f"phone/e164 {shape}"


def phone_uk(rng: Rng) -> Value:
    shape = rng.choice(("020 xxxx xxxx", "07700 xxxxxx", "+44 20 xxxx xxxx", "+44 7700 xxxxxx", "0161 xxx xxxx"))
    text = {
        "020 xxxx xxxx": f"020 7946 {_digits(rng, 4)}",
        "07700 xxxxxx": f"07700 900{_digits(rng, 3)}",
        "+44 20 xxxx xxxx": f"+44 20 7946 {_digits(rng, 4)}",
        "+44 7700 xxxxxx": f"+44 7700 900{_digits(rng, 3)}",
        "0161 xxx xxxx": f"0161 {rng.randint(200, 999)} {_digits(rng, 4)}",
    }[shape]
    return text, f"phone/uk {shape}"


def phone_de(rng: Rng) -> Value:
    shape = rng.choice(
        ("030 xxxxxxx", "030/xxxxxxxx", "089 xxxxxxxx", "0151 xxxxxxxx", "+49 30 xxxxxxxx", "+49 (0)89 xxxxxxx")
    )
    text = {
        "030 xxxxxxx": f"030 {rng.randint(2, 9)}{_digits(rng, 6)}",
        "030/xxxxxxxx": f"030/{rng.randint(2, 9)}{_digits(rng, 7)}",
        "089 xxxxxxxx": f"089 {rng.randint(2, 9)}{_digits(rng, 7)}",
        "0151 xxxxxxxx": f"015{rng.choice('1279')} {rng.randint(2, 9)}{_digits(rng, 7)}",
        "+49 30 xxxxxxxx": f"+49 30 {rng.randint(2, 9)}{_digits(rng, 7)}",
        "+49 (0)89 xxxxxxx": f"+49 (0)89 {rng.randint(2, 9)}{_digits(rng, 6)}",
    }[shape]
    return text, f"phone/de {shape}"


def phone_fr(rng: Rng) -> Value:
    pairs = " ".join(_digits(rng, 2) for _ in range(4))
    shape = rng.choice(("01 xx xx xx xx", "06 xx xx xx xx", "01.xx.xx.xx.xx", "+33 1 xx xx xx xx", "+33 6 xx xx xx xx"))
    text = {
        "01 xx xx xx xx": f"0{rng.randint(1, 5)} {pairs}",
        "06 xx xx xx xx": f"0{rng.choice('67')} {pairs}",
        "01.xx.xx.xx.xx": f"0{rng.randint(1, 5)}.{pairs.replace(' ', '.')}",
        "+33 1 xx xx xx xx": f"+33 {rng.randint(1, 5)} {pairs}",
        "+33 6 xx xx xx xx": f"+33 {rng.choice('67')} {pairs}",
    }[shape]
    return text, f"phone/fr {shape}"


# (network, prefixes, length, grouping)
_CARD_NETWORKS: tuple[tuple[str, tuple[str, ...], int, tuple[int, ...]], ...] = (
    ("visa", ("4",), 16, (4, 4, 4, 4)),
    ("visa-13", ("4",), 13, (4, 4, 5)),
    ("mastercard", ("51", "52", "53", "54", "55"), 16, (4, 4, 4, 4)),
    ("mastercard-2", ("2221", "2300", "2500", "2720"), 16, (4, 4, 4, 4)),
    ("amex", ("34", "37"), 15, (4, 6, 5)),
    ("discover", ("6011", "65"), 16, (4, 4, 4, 4)),
    ("jcb", ("3528", "3566", "3589"), 16, (4, 4, 4, 4)),
    ("diners", ("36",), 14, (4, 6, 4)),
)


def card(rng: Rng) -> Value:
    network, prefixes, length, grouping = rng.choice(_CARD_NETWORKS)
    prefix = rng.choice(prefixes)
    number = _luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))
    style = rng.choice(("plain", "space", "dash"))
    text = number if style == "plain" else _group(number, grouping, " " if style == "space" else "-")
    return text, f"card/{network} {style}"


def _card_like_invalid(rng: Rng) -> str:
    number = _luhn_complete(rng.choice("45") + _digits(rng, 14))
    wrong = str((int(number[-1]) + rng.randint(1, 9)) % 10)
    return number[:-1] + wrong


# (country, BBAN builder)
_IBAN_COUNTRIES: tuple[tuple[str, Callable[[Rng], str]], ...] = (
    ("DE", lambda rng: _digits(rng, 18)),
    ("GB", lambda rng: rng.choice(("NWBK", "BARC", "MIDL", "LOYD")) + _digits(rng, 14)),
    ("FR", lambda rng: _digits(rng, 10) + _chars(rng, string.ascii_uppercase + string.digits, 11) + _digits(rng, 2)),
    ("NL", lambda rng: rng.choice(("ABNA", "INGB", "RABO")) + _digits(rng, 10)),
    ("ES", lambda rng: _digits(rng, 20)),
    ("IT", lambda rng: rng.choice(string.ascii_uppercase) + _digits(rng, 10) + _digits(rng, 12)),
    ("CH", lambda rng: _digits(rng, 17)),
    ("AT", lambda rng: _digits(rng, 16)),
    ("BE", lambda rng: _digits(rng, 12)),
    ("PL", lambda rng: _digits(rng, 24)),
)


def _iban_text(rng: Rng, compact: str) -> tuple[str, str]:
    if rng.random() < 0.5:
        return compact, "compact"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4)), "grouped"


def iban(rng: Rng) -> Value:
    country, bban = rng.choice(_IBAN_COUNTRIES)
    body = bban(rng)
    text, style = _iban_text(rng, f"{country}{_iban_check(country, body):02d}{body}")
    return text, f"iban/{country} {style}"


def iban_bad_check(rng: Rng) -> Value:
    country, bban = rng.choice(_IBAN_COUNTRIES)
    body = bban(rng)
    right = _iban_check(country, body)
    wrong = rng.choice([check for check in range(2, 99) if check != right])
    text, style = _iban_text(rng, f"{country}{wrong:02d}{body}")
    return text, f"iban-bad-check/{country} {style}"


def _ssn_parts(rng: Rng) -> tuple[str, str, str]:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}", f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"


def ssn_dashed(rng: Rng) -> Value:
    return "-".join(_ssn_parts(rng)), "ssn/dashed"


def ssn_undashed(rng: Rng) -> Value:
    area, group, serial = _ssn_parts(rng)
    if rng.random() < 0.5:
        return f"{area} {group} {serial}", "ssn/spaced"
    return f"{area}{group}{serial}", "ssn/plain"


_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def nino(rng: Rng) -> Value:
    prefix = "BG"
    while prefix in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
        prefix = rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)
    digits, suffix = _digits(rng, 6), rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{prefix}{digits}{suffix}", "nino/compact"
    return f"{prefix} {_group(digits, (2, 2, 2), ' ')} {suffix}", "nino/spaced"


def ipv4(rng: Rng) -> Value:
    shape = rng.choice(("documentation", "private", "public"))
    octets = (rng.randint(0, 255), rng.randint(0, 255))
    prefix = {
        "documentation": rng.choice(("192.0.2", "198.51.100", "203.0.113")),
        "private": rng.choice(("10.{}.{}", "192.168.{}", "172.16.{}")).format(*octets),
        "public": ".".join(str(rng.randint(11, 223)) for _ in range(3)),
    }[shape]
    return f"{prefix}.{rng.randint(1, 254)}", f"ipv4/{shape}"


def ipv6(rng: Rng) -> Value:
    groups = [
        "2001",
        "db8",
        *(format(rng.randint(0, 0xFFFF), "x") for _ in range(5)),
        format(rng.randint(1, 0xFFFF), "x"),
    ]
    shape = rng.choice(("full", "compressed", "link-local"))
    if shape == "compressed":
        groups[2:4] = ["", ""]
        text = ":".join(groups[:2]) + "::" + ":".join(groups[4:])
    elif shape == "link-local":
        text = "fe80::" + ":".join(groups[4:])
    else:
        text = ":".join(groups)
    return text, f"ipv6/{shape}"


def date_of_birth(rng: Rng) -> Value:
    year, month, day = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
    shape = rng.choice(("yyyy-mm-dd", "dd.mm.yyyy", "mm/dd/yyyy", "dd/mm/yyyy"))
    text = {
        "yyyy-mm-dd": f"{year}-{month:02d}-{day:02d}",
        "dd.mm.yyyy": f"{day:02d}.{month:02d}.{year}",
        "mm/dd/yyyy": f"{month:02d}/{day:02d}/{year}",
        "dd/mm/yyyy": f"{day:02d}/{month:02d}/{year}",
    }[shape]
    return text, f"dob/{shape}"


def _org_id(rng: Rng) -> str:
    zeros = rng.randint(2, 5)
    return "00D" + _chars(rng, _ALNUM, 2) + "0" + "0" * zeros + _chars(rng, _ALNUM, 9 - zeros)


def _no_trailing_dot(text: str) -> str:
    return text.rstrip("._") + "x" if text[-1] in "._" else text


def salesforce_session(rng: Rng) -> Value:
    opaque = "AQ" + rng.choice("0ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "AQ" + _chars(rng, _TOKEN, rng.randint(90, 110))
    return f"{_org_id(rng)}!{_no_trailing_dot(opaque)}", "salesforce/session-id"


def _b64url_json(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def salesforce_jwt(rng: Rng) -> Value:
    org = _org_id(rng)
    header = {"tnk": f"core/prod/{org}", "ver": "1.0", "kid": f"CORE_ATJWT.{org}.{rng.randint(1, 9)}"}
    header |= {"tty": "sfdc-core-token", "typ": "JWT", "alg": "RS256"}
    claims = {
        "scp": "api refresh_token",
        "aud": ["https://login.salesforce.com"],
        "sub": f"uid:005{_chars(rng, _ALNUM, 12)}",
    }
    claims |= {"mty": "oauth", "iss": "https://login.salesforce.com", "exp": rng.randint(1_800_000_000, 1_900_000_000)}
    return f"{_b64url_json(header)}.{_b64url_json(claims)}.{_chars(rng, _B64URL, 342)}", "salesforce/jwt-access-token"


def refresh_token(rng: Rng) -> Value:
    return _no_trailing_dot("5Aep861" + _chars(rng, _TOKEN, rng.randint(78, 90))), "salesforce/refresh-token"


def consumer_key(rng: Rng) -> Value:
    return _no_trailing_dot("3MVG9" + _chars(rng, _TOKEN, 80)), "salesforce/consumer-key"


def consumer_secret(rng: Rng) -> Value:
    if rng.random() < 0.75:
        return _chars(rng, "0123456789ABCDEF", 64), "salesforce/consumer-secret-64"
    return str(rng.randint(1, 9)) + _digits(rng, 18), "salesforce/consumer-secret-19-digit"


def jwt(rng: Rng) -> Value:
    algorithm = rng.choice(("HS256", "RS256"))
    claims = {
        "sub": _digits(rng, 10),
        "name": " ".join(_person(rng, "en")),
        "iat": rng.randint(1_600_000_000, 1_800_000_000),
    }
    signature = _chars(rng, _B64URL, 43 if algorithm == "HS256" else 342)
    token = f"{_b64url_json({'alg': algorithm, 'typ': 'JWT'})}.{_b64url_json(claims)}.{signature}"
    return token, f"jwt/{algorithm}"


_PEM_KINDS = ("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY")


def private_key(rng: Rng) -> Value:
    shape = rng.choices(("pem", "pem-one-line", "pem-legacy-encrypted"), weights=(6, 2, 1))[0]
    kind = "RSA PRIVATE KEY" if shape == "pem-legacy-encrypted" else rng.choice(_PEM_KINDS)
    lines = [_chars(rng, _B64, 64) for _ in range(rng.randint(3, 6))] + [_chars(rng, _B64, 20) + "=="]
    if shape == "pem-legacy-encrypted":
        lines = ["Proc-Type: 4,ENCRYPTED", f"DEK-Info: AES-128-CBC,{_chars(rng, '0123456789ABCDEF', 32)}", "", *lines]
    sep = " " if shape == "pem-one-line" else "\n"
    block = sep.join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----"])
    return block, f"private-key/{shape} {kind}"


def aws_key(rng: Rng) -> Value:
    prefix = rng.choice(("AKIA", "AKIA", "ASIA"))
    return prefix + _chars(rng, string.ascii_uppercase + "234567", 16), f"aws/{prefix}"


def github_token(rng: Rng) -> Value:
    prefix = rng.choice(("ghp_", "ghp_", "gho_", "ghs_", "github_pat_"))
    if prefix == "github_pat_":
        return f"github_pat_{_chars(rng, _ALNUM, 22)}_{_chars(rng, _ALNUM, 59)}", "github/fine-grained-pat"
    return prefix + _chars(rng, _ALNUM, 36), f"github/{prefix}"


def slack_token(rng: Rng) -> Value:
    if rng.random() < 0.6:
        return f"xoxb-{_digits(rng, 12)}-{_digits(rng, 13)}-{_chars(rng, _ALNUM, 24)}", "slack/xoxb"
    return f"xoxp-{_digits(rng, 11)}-{_digits(rng, 11)}-{_digits(rng, 12)}-{_chars(rng, _HEX, 32)}", "slack/xoxp"


def stripe_key(rng: Rng) -> Value:
    prefix = rng.choice(("sk_live_", "sk_live_", "rk_live_", "sk_test_"))
    return prefix + _chars(rng, _ALNUM, rng.choice((24, 99))), f"stripe/{prefix.rstrip('_')}"


_PASSWORD_WORDS = ("Winter", "Sommer", "Soleil", "Falcon", "Kaffee", "Dragon", "Printemps", "Welcome", "Monday")


def password(rng: Rng) -> Value:
    if rng.random() < 0.6:
        return rng.choice(_PASSWORD_WORDS) + str(rng.randint(2019, 2027)) + rng.choice("!#$%*?"), "password/word+year"
    return _chars(rng, _ALNUM + "!#$%&*@", rng.randint(10, 16)), "password/random"


def api_secret(rng: Rng) -> Value:
    shape = rng.choice(("hex-32", "hex-40", "base62-40"))
    count = {"hex-32": 32, "hex-40": 40, "base62-40": 40}[shape]
    return _chars(rng, _HEX if shape.startswith("hex") else _ALNUM, count), f"api-secret/{shape}"


def aws_secret(rng: Rng) -> Value:
    return _chars(rng, _ALNUM + "/+", 40), "api-secret/aws-secret-access-key"


_MARKERS = {
    "en": ("CONFIDENTIAL", "Strictly Confidential", "Internal use only", "Do not distribute", "under NDA"),
    "de": ("VERTRAULICH", "Streng vertraulich", "Nur für den internen Gebrauch"),
    "fr": ("CONFIDENTIEL", "Strictement confidentiel", "Usage interne uniquement"),
}


def _marker(language: str) -> ValueFn:
    def make(rng: Rng) -> Value:
        return rng.choice(_MARKERS[language]), f"marker/{language}"

    return make


def code_name(rng: Rng) -> Value:
    name = rng.choice(CODE_NAMES)
    if rng.random() < 0.2:
        return name.lower(), "code-name/lower-case"
    return name, "code-name/as-listed"


def _money(rng: Rng, style: str) -> str:
    thousands = rng.randint(5, 950)
    return {
        "$": f"${thousands},{rng.choice(('000', '500', '250'))}",
        "$M": f"${rng.randint(1, 9)}.{rng.randint(1, 9)}M",
        "EUR-after": f"{thousands},000 EUR",
        "EUR-before": f"EUR {thousands},000",
        "€-after-de": f"{thousands}.{rng.choice(('000', '500'))} €",
        "€-after-fr": f"{thousands} {rng.choice(('000', '500'))} €",
    }[style]


def _percent(rng: Rng, *, spaced: bool = False) -> str:
    return f"{rng.randint(3, 35)}{' ' if spaced else ''}%"


def commercial_en(rng: Rng) -> Value:
    shape = rng.choice(
        (
            "discount of N%",
            "list price $",
            "net price N EUR",
            "ARR of $M",
            "renewal uplift of N%",
            "N% discount",
            "unit price EUR N",
        )
    )
    text = {
        "discount of N%": f"discount of {_percent(rng)}",
        "list price $": f"list price {_money(rng, '$')}",
        "net price N EUR": f"net price {_money(rng, 'EUR-after')}",
        "ARR of $M": f"ARR of {_money(rng, '$M')}",
        "renewal uplift of N%": f"renewal uplift of {_percent(rng)}",
        "N% discount": f"{_percent(rng)} discount",
        "unit price EUR N": f"unit price {_money(rng, 'EUR-before')}",
    }[shape]
    return text, f"commercial/en {shape}"


def commercial_de(rng: Rng) -> Value:
    shape = rng.choice(("Rabatt von N %", "Listenpreis N €", "Preis N EUR"))
    text = {
        "Rabatt von N %": f"Rabatt von {_percent(rng, spaced=True)}",
        "Listenpreis N €": f"Listenpreis {_money(rng, '€-after-de')}",
        "Preis N EUR": f"Preis {_money(rng, 'EUR-after')}",
    }[shape]
    return text, f"commercial/de {shape}"


def commercial_fr(rng: Rng) -> Value:
    shape = rng.choice(("remise de N %", "prix catalogue N €"))
    text = {
        "remise de N %": f"remise de {_percent(rng, spaced=True)}",
        "prix catalogue N €": f"prix catalogue {_money(rng, '€-after-fr')}",
    }[shape]
    return text, f"commercial/fr {shape}"


# -- hard negatives -----------------------------------------------------------------------------------------------


def order_card_like(rng: Rng) -> Value:
    number = _card_like_invalid(rng)
    if rng.random() < 0.5:
        return number, "luhn-invalid/16-digit plain"
    return _group(number, (4, 4, 4, 4), " "), "luhn-invalid/16-digit grouped"


def order_ten_digits(rng: Rng) -> Value:
    return str(rng.randint(7_000_000_000, 7_099_999_999)), "order-number/10-digit"


_KEY_PREFIXES = ("001", "003", "005", "006", "00Q", "500", "00T", "701", "00U", "a0B")


def _record_id_15(rng: Rng) -> str:
    unique = "0" * rng.randint(3, 5)
    unique += _chars(rng, _ALNUM, 9 - len(unique))
    return rng.choice(_KEY_PREFIXES) + rng.choice(("5g", "4T", "8b", "Hn", "0D", "7Q")) + "0" + unique


def record_id(rng: Rng) -> Value:
    base = _record_id_15(rng)
    if rng.random() < 0.5:
        return base, "record-id/15"
    return base + _salesforce_suffix(base), "record-id/18"


def date_plain(rng: Rng) -> Value:
    year, month, day = rng.randint(2024, 2027), rng.randint(1, 12), rng.randint(1, 28)
    shape = rng.choice(("yyyy-mm-dd", "dd.mm.yyyy", "mm/dd/yyyy", "dd/mm/yyyy hh:mm"))
    text = {
        "yyyy-mm-dd": f"{year}-{month:02d}-{day:02d}",
        "dd.mm.yyyy": f"{day:02d}.{month:02d}.{year}",
        "mm/dd/yyyy": f"{month:02d}/{day:02d}/{year}",
        "dd/mm/yyyy hh:mm": f"{day:02d}/{month:02d}/{year} {rng.randint(8, 18):02d}:{rng.choice(('00', '15', '30'))}",
    }[shape]
    return text, f"date/{shape}"


def case_number(rng: Rng) -> Value:
    if rng.random() < 0.5:
        return f"{rng.randint(1, 999_999):08d}", "case-number/8-digit"
    return f"#{rng.randint(100_000, 999_999):08d}", "case-number/#8-digit"


def version(rng: Rng) -> Value:
    shape = rng.choice(("vX.Y.Z", "X.Y.Z.W", "X.Y"))
    text = {
        "vX.Y.Z": f"v{rng.randint(1, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
        "X.Y.Z.W": f"{rng.randint(1, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}.{rng.randint(0, 250)}",
        "X.Y": f"{rng.randint(50, 62)}.0",
    }[shape]
    return text, f"version/{shape}"


def business_number(rng: Rng) -> Value:
    shape = rng.choice(("invoice", "po", "ups", "fedex"))
    text = {
        "invoice": f"INV-{rng.randint(2024, 2027)}-{rng.randint(1, 99_999):06d}",
        "po": f"45{_digits(rng, 8)}",
        "ups": f"1Z{_chars(rng, string.ascii_uppercase + string.digits, 6)}{_digits(rng, 10)}",
        "fedex": _group(_digits(rng, 12), (4, 4, 4), " "),
    }[shape]
    return text, f"business-number/{shape}"


def amount(rng: Rng) -> Value:
    shape = rng.choice(("$", "EUR-before", "€-after-de"))
    return _money(rng, shape), f"amount/{shape}"


def clock_time(rng: Rng) -> Value:
    hour, minute = rng.randint(7, 19), rng.choice((0, 15, 30, 45))
    shape = rng.choice(("hh:mm", "hh:mm:ss"))
    text = f"{hour:02d}:{minute:02d}" + (f":{rng.randint(0, 59):02d}" if shape == "hh:mm:ss" else "")
    return text, f"time/{shape}"


def uuid_like(rng: Rng) -> Value:
    hexes = _chars(rng, _HEX, 32)
    return _group(hexes[:12] + "4" + hexes[13:], (8, 4, 4, 4, 12), "-"), "uuid"


def sha_hash(rng: Rng) -> Value:
    size = rng.choice((40, 64))
    return _chars(rng, _HEX, size), f"sha/{size}"


def mac_address(rng: Rng) -> Value:
    return ":".join(_chars(rng, "0123456789ABCDEF", 2) for _ in range(6)), "mac-address"


def stripe_publishable(rng: Rng) -> Value:
    return "pk_live_" + _chars(rng, _ALNUM, 24), "stripe-publishable-key"


# -- sentence templates ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Recipe:
    """A sentence template with one ``{v}`` slot for a value, in one language; kind None: a hard negative."""

    kind: str | None
    language: str
    template: str
    values: ValueFn


def _recipes(kind: str | None, values: ValueFn, **templates: Sequence[str]) -> list[_Recipe]:
    return [_Recipe(kind, lang, template, values) for lang, items in templates.items() for template in items]


def _positive_recipes() -> dict[str, list[_Recipe]]:
    r: dict[str, list[_Recipe]] = {}
    r[K.EMAIL_ADDRESS] = _recipes(
        K.EMAIL_ADDRESS,
        email,
        en=(
            "Please send the signed order form to {v} by Friday.",
            "Customer asked us to use {v} for invoices.",
            "New contact for renewals: {v}",
        ),
        de=("Bitte die Rechnung ab sofort an {v} schicken.", "Ansprechpartnerin ist jetzt {first} ({v})."),
        fr=("Merci d'envoyer le devis à {v} avant vendredi.", "Nouveau contact : {v}"),
    )
    r[K.PHONE_NUMBER] = [
        *_recipes(K.PHONE_NUMBER, phone_nanp, en=("Please call her back on {v} after 3pm.", "Reach me at {v}.")),
        *_recipes(K.PHONE_NUMBER, phone_e164, en=("Mobile: {v}", "He left a voicemail asking for a callback on {v}.")),
        *_recipes(K.PHONE_NUMBER, phone_uk, en=("Direct line {v} (London office).", "Call {first} on {v}.")),
        *_recipes(
            K.PHONE_NUMBER, phone_de, de=("Rückruf bitte unter {v}.", "Tel.: {v}", "Er ist mobil unter {v} erreichbar.")
        ),
        *_recipes(
            K.PHONE_NUMBER, phone_fr, fr=("Merci de rappeler au {v}.", "Tél. : {v}", "Portable de {first} : {v}")
        ),
    ]
    r[K.CREDIT_CARD] = _recipes(
        K.CREDIT_CARD,
        card,
        en=(
            "Customer paid with card {v} and wants a refund.",
            "Please charge the card on file: {v}",
            "Card number {v}, exp {exp}.",
            "Card {v} {exp} was declined twice.",
        ),
        de=("Bitte die Kreditkarte {v} belasten.", "Kartennummer: {v}"),
        fr=("Carte bancaire {v} à débiter.", "Numéro de carte : {v}"),
    )
    r[K.IBAN_CODE] = _recipes(
        K.IBAN_CODE,
        iban,
        en=(
            "Please update the bank details to IBAN {v} before the next run.",
            "New IBAN: {v}",
            "Refund to IBAN {v} BIC {bic}.",
        ),
        de=("Bitte Bankverbindung ändern: IBAN {v}", "Neue IBAN {v}, BIC {bic}."),
        fr=("Nouveau RIB : IBAN {v}", "IBAN {v} BIC {bic} pour le remboursement."),
    )
    r[K.US_SSN] = [
        *_recipes(
            K.US_SSN,
            ssn_dashed,
            en=("SSN {v} on file for the employee record.", "The W-9 lists {v}.", "Social Security number: {v}"),
        ),
        *_recipes(K.US_SSN, ssn_undashed, en=("Employee's SSN is {v}", "SSN: {v} (verified by HR)")),
    ]
    r[K.UK_NINO] = _recipes(
        K.UK_NINO,
        nino,
        en=("NI number {v} for payroll.", "National Insurance no. {v}", "HMRC letter quotes NINO {v}."),
    )
    r[K.IP_ADDRESS] = [
        *_recipes(
            K.IP_ADDRESS,
            ipv4,
            en=(
                "Login attempts from {v} were blocked by the firewall.",
                "The integration user connects from {v}.",
                "The customer's server {v} refused the callout.",
            ),
            de=("Zugriff von {v} wurde blockiert.", "Bitte die IP-Adresse {v} freischalten."),
            fr=("Connexion depuis {v} bloquée par le pare-feu.", "Merci d'autoriser l'adresse IP {v}."),
        ),
        *_recipes(K.IP_ADDRESS, ipv6, en=("Login from {v} flagged as unusual.",), de=("Zugriff von {v} blockiert.",)),
    ]
    r[K.DATE_OF_BIRTH] = _recipes(
        K.DATE_OF_BIRTH,
        date_of_birth,
        en=("DOB: {v}", "Date of birth {v} confirmed by phone.", "Patient born on {v}."),
        de=("Geburtsdatum: {v}", "Der Versicherte ist am {v} geboren.", "Frau {last}, geb. {v}"),
        fr=("Né le {v} à Lyon.", "Date de naissance : {v}"),
    )
    r[K.SALESFORCE_ACCESS_TOKEN] = [
        *_recipes(
            K.SALESFORCE_ACCESS_TOKEN,
            salesforce_session,
            en=("Debug log shows session id {v} \nplease rotate.", "Authorization: Bearer {v}\n"),
            de=("Im Log steht das Session-Token {v} bitte sperren.",),
            fr=("Le jeton d'accès {v} apparaît dans les logs.",),
        ),
        *_recipes(
            K.SALESFORCE_ACCESS_TOKEN,
            salesforce_jwt,
            en=("Authorization: Bearer {v}\n", "access_token={v}\n"),
            de=("Token aus dem Postman-Export: {v}\n",),
        ),
    ]
    r[K.SALESFORCE_REFRESH_TOKEN] = _recipes(
        K.SALESFORCE_REFRESH_TOKEN,
        refresh_token,
        en=("refresh_token={v}\n", "Refresh token: {v} (do not share)"),
        de=("Refresh-Token {v} bitte widerrufen.",),
    )
    r[K.SALESFORCE_CONSUMER_KEY] = _recipes(
        K.SALESFORCE_CONSUMER_KEY,
        consumer_key,
        en=("Connected app consumer key: {v}\n", "client_id={v}\n"),
        fr=("Clé client de l'application connectée : {v}\n",),
    )
    r[K.SALESFORCE_CONSUMER_SECRET] = _recipes(
        K.SALESFORCE_CONSUMER_SECRET,
        consumer_secret,
        en=("Consumer Secret: {v}", "client_secret={v}", "The consumer secret is {v}", '{{"client_secret": "{v}"}}'),
        de=("Das Consumer Secret lautet {v}",),
        fr=("Consumer secret : {v}",),
    )
    r[K.JWT] = _recipes(
        K.JWT,
        jwt,
        en=("id_token={v}\n", "Authorization: Bearer {v}\n"),
        de=("JWT aus dem Log: {v}\n",),
        fr=("Jeton JWT : {v}\n",),
    )
    r[K.PRIVATE_KEY] = _recipes(
        K.PRIVATE_KEY,
        private_key,
        en=("Customer attached their private key by mistake:\n{v}\nPlease delete it.",),
        de=("Der Kunde hat versehentlich den privaten Schlüssel geschickt:\n{v}\n",),
        fr=("Le client a envoyé sa clé privée par erreur :\n{v}\n",),
    )
    r[K.AWS_ACCESS_KEY] = _recipes(
        K.AWS_ACCESS_KEY,
        aws_key,
        en=("aws_access_key_id = {v}\n", "Access key {v} was committed to the repo."),
        de=("AWS-Schlüssel {v} steht im Ticket.",),
    )
    r[K.GITHUB_TOKEN] = _recipes(
        K.GITHUB_TOKEN,
        github_token,
        en=("GITHUB_TOKEN={v}\n", "The PAT {v} expires next week."),
        fr=("Jeton GitHub : {v}",),
    )
    r[K.SLACK_TOKEN] = _recipes(
        K.SLACK_TOKEN,
        slack_token,
        en=("Slack bot token {v} is in the integration settings.",),
        de=("Slack-Token {v} bitte neu erzeugen.",),
    )
    r[K.STRIPE_KEY] = _recipes(
        K.STRIPE_KEY,
        stripe_key,
        en=("Stripe secret key {v} leaked in the screenshot.", "STRIPE_API_KEY={v}\n"),
        fr=("Clé Stripe {v} visible dans la capture.",),
    )
    r[K.GENERIC_SECRET] = [
        *_recipes(
            K.GENERIC_SECRET,
            password,
            en=(
                "Temporary password: {v} please change it at first login.",
                "pwd={v}\n",
                "The admin password is {v} for now.",
            ),
            de=("Passwort: {v} bitte nach dem ersten Login ändern.", "Kennwort {v}"),
            fr=("Mot de passe : {v} à changer.",),
        ),
        *_recipes(
            K.GENERIC_SECRET, api_secret, en=("api_key={v}\n", "X-API-Key: {v}\n", "Authorization: Bearer {v}\n")
        ),
        *_recipes(K.GENERIC_SECRET, aws_secret, en=("aws_secret_access_key = {v}\n",)),
    ]
    r[K.IP_MARKER] = [
        *_recipes(
            K.IP_MARKER,
            _marker("en"),
            en=("{v} - do not forward outside the account team.", "The attached deck is marked {v}."),
        ),
        *_recipes(K.IP_MARKER, _marker("de"), de=("{v} - nicht an Dritte weitergeben.",)),
        *_recipes(K.IP_MARKER, _marker("fr"), fr=("{v} - ne pas transférer.",)),
        *_recipes(
            K.IP_MARKER,
            code_name,
            en=("The customer asked about {v} again.", "{v} launch slipped to Q3."),
            de=("Der Kunde fragte erneut nach {v}.",),
            fr=("Le client a demandé des nouvelles de {v}.",),
        ),
    ]
    r[K.COMMERCIAL_TERMS] = [
        *_recipes(
            K.COMMERCIAL_TERMS,
            commercial_en,
            en=("Approved a {v} for the three-year term.", "Customer accepted the {v} if they sign this quarter."),
        ),
        *_recipes(K.COMMERCIAL_TERMS, commercial_de, de=("Wir haben {v} zugesagt.",)),
        *_recipes(K.COMMERCIAL_TERMS, commercial_fr, fr=("Nous avons accordé une {v} sur trois ans.",)),
    ]
    return r


def _negative_recipes() -> list[_Recipe]:
    return [
        *_recipes(
            None,
            order_card_like,
            en=("Order {v} shipped on Monday.", "Voucher {v} was redeemed."),
            de=("Bestellnummer {v} ist unterwegs.",),
            fr=("Commande n° {v} expédiée.",),
        ),
        *_recipes(None, order_ten_digits, en=("Sales order {v} is on hold.",), de=("Auftrag {v} wurde storniert.",)),
        *_recipes(
            None,
            record_id,
            en=("See Opportunity {v} for details.", "Related case: {v}", "Contact {v} was merged."),
            de=("Siehe Account {v}.",),
            fr=("Voir l'opportunité {v}.",),
        ),
        *_recipes(
            None,
            iban_bad_check,
            en=("The IBAN on the form ({v}) fails validation; asked them to resend.",),
            de=("Die IBAN {v} ist ungültig, bitte neu anfordern.",),
        ),
        *_recipes(
            None,
            date_plain,
            en=("Go-live moved to {v}.",),
            de=("Termin am {v} bestätigt.",),
            fr=("Rendez-vous le {v}.",),
        ),
        *_recipes(
            None, case_number, en=("Case {v} was closed by the customer.",), de=("Ticket-Nr. {v} ist erledigt.",)
        ),
        *_recipes(
            None,
            version,
            en=("Fixed in release {v} of the managed package.", "Upgraded to version {v}."),
            de=("Behoben in Version {v}.",),
        ),
        *_recipes(
            None,
            business_number,
            en=("Reference {v} on the paperwork.",),
            de=("Referenz {v} im Anhang.",),
            fr=("Référence {v} sur le bon.",),
        ),
        *_recipes(None, amount, en=("Shipping fee of {v} was waived.",), de=("Budget freigegeben: {v}.",)),
        *_recipes(None, clock_time, en=("Meeting at {v} CET.",), de=("Telko um {v} Uhr.",), fr=("Réunion à {v}.",)),
        *_recipes(None, uuid_like, en=("Request id {v} in the error log.",), de=("Korrelations-ID {v}.",)),
        *_recipes(None, sha_hash, en=("Fixed in commit {v} last week.",), fr=("Somme de contrôle {v} vérifiée.",)),
        *_recipes(None, mac_address, en=("Device MAC {v} registered.",)),
        *_recipes(None, stripe_publishable, en=("Publishable key {v} is fine to embed in the page.",)),
    ]


# -- filler text and frames ------------------------------------------------------------------------------------------

_FILLER = {
    "en": (
        "Customer reports that the nightly sync to the ERP fails since the last release.",
        "Renewal is on track; legal is reviewing the master agreement.",
        "They asked for a demo of the new reporting dashboard next week.",
        "Escalated to tier 2 after the suggested workaround did not help.",
        "Follow up after the quarterly business review with the CFO.",
        "The champion moved to another team, so we need a new sponsor.",
        "Users cannot log in through single sign-on since this morning.",
        "Procurement wants the security questionnaire before signing.",
        "Training for the service agents is planned for early next month.",
        "Integration with the warehouse system is still pending on their side.",
    ),
    "de": (
        "Kunde meldet, dass der nächtliche Abgleich mit dem ERP seit dem letzten Update fehlschlägt.",
        "Die Verlängerung ist auf Kurs, die Rechtsabteilung prüft den Rahmenvertrag.",
        "Sie wünschen eine Demo des neuen Berichts-Dashboards in der nächsten Woche.",
        "An den Second-Level-Support eskaliert, da der Workaround nicht geholfen hat.",
        "Nach dem Quartalsgespräch mit dem Einkauf nachfassen.",
        "Die Schulung der Servicemitarbeiter ist für Anfang nächsten Monats geplant.",
    ),
    "fr": (
        "Le client signale que la synchronisation nocturne avec l'ERP échoue depuis la dernière mise à jour.",
        "Le renouvellement est en bonne voie, le service juridique relit le contrat cadre.",
        "Ils souhaitent une démonstration du nouveau tableau de bord la semaine prochaine.",
        "Escaladé au niveau 2 car le contournement proposé n'a pas fonctionné.",
        "Relancer après la revue trimestrielle avec la direction financière.",
        "La formation des agents du service client est prévue début du mois prochain.",
    ),
}
_GREETING = {"en": "Hi {first},\n\n", "de": "Hallo {first},\n\n", "fr": "Bonjour {first},\n\n"}
_SIGNATURE = {
    "en": "\n\nBest regards,\n{sender}",
    "de": "\n\nViele Grüße\n{sender}",
    "fr": "\n\nCordialement,\n{sender}",
}
_NOTE = {
    "en": "Call with {name} ({company}): ",
    "de": "Telefonat mit {name} ({company}): ",
    "fr": "Appel avec {name} ({company}) : ",
}
_SOURCES = ("case", "email", "note", "next_step")
_LANGUAGE_WEIGHTS = {"en": 6, "de": 3, "fr": 2}
_BICS = ("COBADEFFXXX", "DEUTDEFF", "BNPAFRPP", "CAIXESBBXXX", "GKCCBEBB", "BKAUATWW", "NWBKGB2L", "INGBNL2A")
_SLOT = re.compile(r"\{(first|last|name|sender|company|bic|exp)\}")


def _plain_slots(rng: Rng, language: str) -> dict[str, str]:
    first, last = _person(rng, language)
    sender = " ".join(_person(rng, language))
    return {
        "first": first,
        "last": last,
        "name": f"{first} {last}",
        "sender": f"{sender}\n{rng.choice(_COMPANIES[language])}",
        "company": rng.choice(_COMPANIES[language]),
        "bic": rng.choice(_BICS),
        "exp": f"{rng.randint(1, 12):02d}/{rng.randint(26, 31)}",
    }


class _Writer:
    """Concatenates text and records the span of every planted value."""

    def __init__(self, rng: Rng, language: str) -> None:
        self._rng = rng
        self._parts: list[str] = []
        self._size = 0
        self._slots = _plain_slots(rng, language)
        self.labels: list[Label] = []
        self.distractors: list[Distractor] = []

    def write(self, text: str) -> None:
        text = _SLOT.sub(lambda match: self._slots[match.group(1)], text)
        self._parts.append(text)
        self._size += len(text)

    def plant(self, recipe: _Recipe) -> None:
        value, shape = recipe.values(self._rng)
        before, _, after = recipe.template.partition("{v}")
        self.write(before.replace("{{", "{"))
        start = self._size
        self._parts.append(value)
        self._size += len(value)
        if recipe.kind is None:
            self.distractors.append(Distractor(start, self._size, shape, recipe.template))
        else:
            self.labels.append(Label(start, self._size, recipe.kind, shape, recipe.template))
        self.write(after.replace("}}", "}"))

    @property
    def size(self) -> int:
        return self._size

    def text(self) -> str:
        return "".join(self._parts)


class _Generator:
    """Composes records from recipes: a frame (case, e-mail, note, next step), fillers, planted values."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.positives = _positive_recipes()
        negatives = _negative_recipes()
        self.negatives = {lang: [r for r in negatives if r.language == lang] for lang in _LANGUAGE_WEIGHTS}

    def language(self) -> str:
        return self.rng.choices(list(_LANGUAGE_WEIGHTS), weights=list(_LANGUAGE_WEIGHTS.values()))[0]

    def recipe(self, kind: str, language: str) -> _Recipe:
        options = [r for r in self.positives[kind] if r.language == language] or self.positives[kind]
        return self.rng.choice(options)

    def record(self, kinds: Sequence[str], negatives: int, *, min_size: int = 0) -> Record:
        rng = self.rng
        recipes = [self.recipe(kind, self.language()) for kind in kinds[:1]]
        language = recipes[0].language if recipes else self.language()
        recipes += [self.recipe(kind, language) for kind in kinds[1:]]
        recipes += [rng.choice(self.negatives[language]) for _ in range(negatives)]
        rng.shuffle(recipes)
        source = rng.choice(_SOURCES)
        writer = _Writer(rng, language)
        self._compose(writer, source, language, recipes, min_size)
        return Record(writer.text(), tuple(writer.labels), tuple(writer.distractors), source, language)

    def _compose(self, writer: _Writer, source: str, language: str, recipes: list[_Recipe], min_size: int) -> None:
        rng = self.rng
        if source == "email":
            writer.write(_GREETING[language])
        elif source == "note":
            writer.write(_NOTE[language])
        sentences: list[_Recipe | str] = [*recipes]
        if source != "next_step" or not recipes:
            sentences.insert(rng.randint(0, len(sentences)), rng.choice(_FILLER[language]))
        for index, sentence in enumerate(sentences):
            if index:
                writer.write(rng.choice((" ", " ", "\n")))
            if isinstance(sentence, str):
                writer.write(sentence)
            else:
                writer.plant(sentence)
        while writer.size < min_size:
            writer.write(" " + rng.choice(_FILLER[language]))
        if source == "email":
            writer.write(_SIGNATURE[language])


# -- the two corpora -------------------------------------------------------------------------------------------------

EVAL_QUOTAS: dict[str, int] = {
    K.EMAIL_ADDRESS: 150,
    K.PHONE_NUMBER: 320,
    K.CREDIT_CARD: 200,
    K.IBAN_CODE: 200,
    K.US_SSN: 120,
    K.UK_NINO: 100,
    K.IP_ADDRESS: 150,
    K.DATE_OF_BIRTH: 120,
    K.SALESFORCE_ACCESS_TOKEN: 140,
    K.SALESFORCE_REFRESH_TOKEN: 100,
    K.SALESFORCE_CONSUMER_KEY: 100,
    K.SALESFORCE_CONSUMER_SECRET: 100,
    K.JWT: 100,
    K.PRIVATE_KEY: 60,
    K.AWS_ACCESS_KEY: 100,
    K.GITHUB_TOKEN: 100,
    K.SLACK_TOKEN: 100,
    K.STRIPE_KEY: 100,
    K.GENERIC_SECRET: 160,
    K.IP_MARKER: 150,
    K.COMMERCIAL_TERMS: 120,
}
"""How many values of each kind the evaluation corpus plants (2,790 in all)."""

EVAL_NEGATIVES = 2_400
"""How many hard negatives the evaluation corpus plants."""


def evaluation_corpus(*, seed: int = EVAL_SEED) -> list[Record]:
    """The evaluation set: every kind at its quota (:data:`EVAL_QUOTAS`), 1-2 per record, hard negatives beside.

    A quarter of the records carry only hard negatives, so precision is measured on text with nothing to find.
    """
    generator = _Generator(seed)
    rng = generator.rng
    queue = [kind for kind, count in EVAL_QUOTAS.items() for _ in range(count)]
    rng.shuffle(queue)
    negatives = EVAL_NEGATIVES
    records: list[Record] = []
    while queue or negatives > 0:
        take = min(len(queue), 0 if rng.random() < 0.25 else rng.choice((1, 1, 2)))
        kinds, queue = queue[:take], queue[take:]
        planted = min(negatives, rng.choice((0, 1, 1, 2)) if kinds else rng.choice((1, 2)))
        negatives -= planted
        records.append(generator.record(kinds, planted))
    return records


THROUGHPUT_WEIGHTS: dict[str, int] = {
    K.EMAIL_ADDRESS: 17,
    K.PHONE_NUMBER: 18,
    K.CREDIT_CARD: 16,
    K.IBAN_CODE: 16,
    K.US_SSN: 16,
    K.AWS_ACCESS_KEY: 3,
    K.GITHUB_TOKEN: 3,
    K.SLACK_TOKEN: 3,
    K.STRIPE_KEY: 3,
    K.SALESFORCE_ACCESS_TOKEN: 3,
    K.GENERIC_SECRET: 3,
    K.IP_ADDRESS: 4,
    K.DATE_OF_BIRTH: 3,
    K.UK_NINO: 3,
    K.IP_MARKER: 4,
    K.COMMERCIAL_TERMS: 3,
    K.SALESFORCE_REFRESH_TOKEN: 1,
    K.SALESFORCE_CONSUMER_KEY: 1,
    K.SALESFORCE_CONSUMER_SECRET: 1,
    K.JWT: 1,
}
"""The mix of kinds in the throughput data: mostly PII, like the reference measurements' data (no private keys,
whose kilobyte blocks would dominate the byte count)."""


def throughput_corpus(
    count: int = 20_000, *, seed: int = THROUGHPUT_SEED, positive_rate: float = 0.1, negative_rate: float = 0.3
) -> list[Record]:
    """``count`` records of about 300 B; ``positive_rate`` of them carry 1-2 values, ``negative_rate`` a distractor."""
    generator = _Generator(seed)
    rng = generator.rng
    kinds, weights = list(THROUGHPUT_WEIGHTS), list(THROUGHPUT_WEIGHTS.values())
    records = []
    for _ in range(count):
        planted = (
            rng.choices(kinds, weights=weights, k=rng.choice((1, 1, 1, 2))) if rng.random() < positive_rate else []
        )
        negatives = 1 if rng.random() < negative_rate else 0
        records.append(generator.record(planted, negatives, min_size=rng.randint(200, 330)))
    return records


def dictionary(size: int = 1_000, *, seed: int = 7) -> list[str]:
    """:data:`CODE_NAMES` plus generated code names, ``size`` terms in all (a company's code-name list)."""
    rng = random.Random(seed)
    words = ("Falcon", "Aurora", "Granite", "Harbor", "Meridian", "Onyx", "Pioneer", "Summit", "Zephyr", "Vector")
    terms = list(CODE_NAMES)
    seen = set(terms)
    while len(terms) < size:
        term = f"{rng.choice(('Project', 'Operation', 'Codename'))} {rng.choice(words)}-{rng.randint(100, 999)}"
        if term not in seen:
            seen.add(term)
            terms.append(term)
    return terms[:size]


def describe(records: Sequence[Record]) -> str:
    """Summarize a corpus: records, bytes, labels by kind count, distractors."""
    size = sum(len(record.text.encode()) for record in records)
    labels = Counter(label.kind for record in records for label in record.labels)
    carrying = sum(bool(record.labels) for record in records)
    negatives = sum(len(record.distractors) for record in records)
    return (
        f"{len(records):,} records, {size / 1e6:.2f} MB (mean {size / len(records):.0f} B), "
        f"{carrying:,} carry {sum(labels.values()):,} labelled values of {len(labels)} kinds, "
        f"{negatives:,} hard negatives"
    )
