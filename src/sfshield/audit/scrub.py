"""Scrubbing credentials out of log records before any handler writes them.

This module owns one idea: a secret that reaches a log line has leaked. :class:`ScrubSecretsFilter` is a
:class:`logging.Filter` for your handlers; it formats each record's message (and traceback) once and
replaces credentials with ``[REDACTED:<kind>]``. The patterns target credential *shapes* (Salesforce
session ids, refresh tokens and consumer keys, bearer tokens, JWTs, PEM private keys, AWS and GitHub keys,
``password=``-style pairs), not personal data: that is the DLP scanner's job. Salesforce record ids such as
``0015g00000XyZabAAF`` are left alone.
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import dataclass

__all__ = ["ScrubSecretsFilter", "scrub_secrets"]

_KEY = r"(?<![A-Za-z0-9])(?P<key>access_token|refresh_token|client_secret|password|session_?id)"
_OPAQUE = r"[A-Za-z0-9._]"  # the alphabet of Salesforce session ids, refresh tokens and consumer keys


@dataclass(frozen=True, slots=True)
class _Rule:
    """One credential shape. Only its ``secret`` group is replaced; with no ``kind``, the key names it."""

    pattern: re.Pattern[str]
    kind: str | None = None

    def redact(self, text: str) -> str:
        return self.pattern.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        kind = self.kind or match["key"].lower().replace("sessionid", "session_id")
        before = match.string[match.start() : match.start("secret")]
        after = match.string[match.end("secret") : match.end()]
        return f"{before}[REDACTED:{kind}]{after}"


def _rule(pattern: str, kind: str | None = None, flags: re.RegexFlag = re.NOFLAG) -> _Rule:
    return _Rule(re.compile(pattern, flags), kind)


# Specific shapes first, so a Salesforce session id inside `Bearer ...` is labelled as what it is.
_RULES = (
    _rule(
        r"(?P<secret>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"
        r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|.*\Z))",  # an unterminated block runs to the end
        "private_key",
        re.DOTALL,
    ),
    _rule(rf"\b(?P<secret>00D[A-Za-z0-9]{{12,15}}!{_OPAQUE}{{20,}})", "salesforce_session_id"),
    _rule(rf"\b(?P<secret>5Aep861{_OPAQUE}{{20,}})", "salesforce_refresh_token"),
    _rule(rf"\b(?P<secret>3MVG{_OPAQUE}{{20,}})", "salesforce_consumer_key"),
    _rule(r"\b(?P<secret>eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)", "jwt"),
    _rule(r"\b(?P<secret>(?:AKIA|ASIA)[A-Z0-9]{16})\b", "aws_access_key_id"),
    _rule(r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})\b", "github_token"),
    _rule(r"\b[Bb]earer\s+(?P<secret>[A-Za-z0-9\-._~+/]{16,}=*)", "bearer_token"),
    # "password": "x", 'password': 'x', password="x"
    _rule(
        rf"{_KEY}[\"']?\s*[:=]\s*(?P<q>[\"'])(?P<secret>(?:\\.|(?!(?P=q))[^\\\n])+)(?P=q)",
        flags=re.IGNORECASE,
    ),
    # password=x (query strings, form bodies, key=value logs); a bare `password: x` is ordinary prose
    _rule(rf"{_KEY}[\"']?\s*=\s*(?!\[REDACTED:)(?P<secret>[^\s&,;\"'<>]+)", flags=re.IGNORECASE),
    # <sessionId>x</sessionId> in SOAP login responses
    _rule(rf"<{_KEY}>(?P<secret>[^<]+)</", flags=re.IGNORECASE),
)


def scrub_secrets(text: str, /) -> str:
    """Return ``text`` with every credential replaced by ``[REDACTED:<kind>]``.

    Scrubbing is idempotent: scrubbing scrubbed text changes nothing.
    """
    for rule in _RULES:
        text = rule.redact(text)
    return text


class ScrubSecretsFilter(logging.Filter):
    """A logging filter that removes credentials from each record's message, arguments and traceback.

    The message is formatted once (``record.getMessage()``), scrubbed, and stored as ``record.msg`` with
    ``record.args`` cleared. A traceback is rendered into ``record.exc_text`` (as the default formatter would)
    and scrubbed, so formatters print the scrubbed text; a formatter that overrides ``formatException`` is
    bypassed for that reason. The filter never drops a record.

    Install it on handlers, not loggers: a logger's filters do not see records propagated from child loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub ``record`` in place and keep it."""
        record.msg = scrub_secrets(_message_of(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = scrub_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_secrets(record.stack_info)
        return True


def _message_of(record: logging.LogRecord) -> str:
    """Format the message; if the arguments do not fit it, keep both (scrubbed later) so nothing is lost."""
    try:
        return record.getMessage()
    except (TypeError, ValueError, KeyError):
        return f"{record.msg!s} (log arguments did not match the message: {record.args!r})"
