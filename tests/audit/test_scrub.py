import io
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.audit import ScrubSecretsFilter
from sfshield.audit.scrub import scrub_secrets

SESSION_ID = "00D5g000004XyZa!AQcAQH0dMHZfz972Szmpkb58urFRkgeBGsxL_QJWwYMfAbUeeG7c1E6LYUfiDUkWe6H34r1AAw"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMDUxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
REFRESH_TOKEN = "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJrfmBKBUDrFwjA9yVzAAhDR0nr4mG8Yk"
CONSUMER_KEY = "3MVG9lKcPoNINVBJSoQsNCD.HHDdbugPsNXwwyFbgb47KWa_PTv"
GITHUB_TOKEN = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4Nq\nQ2VyZ3VzIGtleQ==\n-----END RSA PRIVATE KEY-----"

POSITIVES = [
    (f"login ok sid={SESSION_ID}", "login ok sid=[REDACTED:salesforce_session_id]"),
    (f"session {SESSION_ID} expired", "session [REDACTED:salesforce_session_id] expired"),
    ("Authorization: Bearer abcdefghijklmnop0123456789", "Authorization: Bearer [REDACTED:bearer_token]"),
    (f"Authorization: Bearer {SESSION_ID}", "Authorization: Bearer [REDACTED:salesforce_session_id]"),
    (f"id_token {JWT} received", "id_token [REDACTED:jwt] received"),
    (f"refreshing with {REFRESH_TOKEN}", "refreshing with [REDACTED:salesforce_refresh_token]"),
    (f"connected app {CONSUMER_KEY}", "connected app [REDACTED:salesforce_consumer_key]"),
    (f"key:\n{PEM}\nloaded", "key:\n[REDACTED:private_key]\nloaded"),
    ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg", "[REDACTED:private_key]"),
    ("-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----", "[REDACTED:private_key]"),
    ("GET /cb?access_token=abc123xyz&state=1", "GET /cb?access_token=[REDACTED:access_token]&state=1"),
    ("refresh_token=r3fr3sh", "refresh_token=[REDACTED:refresh_token]"),
    ('{"client_secret": "s3cr3t", "id": 7}', '{"client_secret": "[REDACTED:client_secret]", "id": 7}'),
    ("{'password': 'hunter2', 'user': 'bob'}", "{'password': '[REDACTED:password]', 'user': 'bob'}"),
    ('password="with spaces"', 'password="[REDACTED:password]"'),
    ('{"password": "a\\"b"}', '{"password": "[REDACTED:password]"}'),
    ("DB_PASSWORD=hunter2 host=db", "DB_PASSWORD=[REDACTED:password] host=db"),
    ("sessionId=abc123", "sessionId=[REDACTED:session_id]"),
    ("<sessionId>plainsecret</sessionId>", "<sessionId>[REDACTED:session_id]</sessionId>"),
    ("aws key AKIAIOSFODNN7EXAMPLE used", "aws key [REDACTED:aws_access_key_id] used"),
    (f"token {GITHUB_TOKEN} pushed", "token [REDACTED:github_token] pushed"),
]

NEGATIVES = [
    "Filtered 12 Contact records for purpose support",
    "Account 0015g00000XyZabAAF updated",
    "Contact 0035g00000AbCdEfGhIJ, Opportunity 0065g000001aBcD",
    "org 00D5g000004XyZaEAK logged in",
    "Please reset your password: it expired",
    "password_hint=blue",
    "The bearer of this note is trusted; Bearer tokens expire",
    "eyJ is how base64-encoded JSON starts",
    "AKIA is the prefix of AWS access keys",
    "3MVG and 5Aep861 are Salesforce prefixes",
    "[REDACTED:password] was already scrubbed",
    "",
]

TOKENS = st.one_of(
    st.from_regex(r"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,40}", fullmatch=True),
    st.from_regex(r"5Aep861[A-Za-z0-9._]{20,40}", fullmatch=True),
    st.from_regex(r"3MVG[A-Za-z0-9._]{20,40}", fullmatch=True),
    st.from_regex(r"eyJ[A-Za-z0-9_-]{1,20}\.[A-Za-z0-9_-]{1,20}\.[A-Za-z0-9_-]{0,20}", fullmatch=True),
    st.from_regex(r"AKIA[A-Z0-9]{16}", fullmatch=True),
    st.from_regex(r"gh[pousr]_[A-Za-z0-9]{36}", fullmatch=True),
)
# Surrounding text without letters or digits, so it cannot itself spell (part of) a token.
SURROUNDINGS = st.text(st.characters(exclude_categories=("L", "N")), max_size=20)


def _refresh() -> None:
    raise ValueError(f"bad refresh {REFRESH_TOKEN}")


def _logger_with_filter() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubSecretsFilter())
    logger = logging.Logger("sfshield.test.scrub")  # not registered globally: no shared state between tests
    logger.addHandler(handler)
    return logger, stream


class TestScrubSecrets:
    @pytest.mark.parametrize(("text", "expected"), POSITIVES)
    def test_redacts_known_credentials(self, text: str, expected: str) -> None:
        """Each credential shape is replaced by its [REDACTED:<kind>] marker and the rest is kept."""
        assert scrub_secrets(text) == expected

    @pytest.mark.parametrize("text", NEGATIVES)
    def test_leaves_ordinary_text_alone(self, text: str) -> None:
        """Ordinary text, record ids and org ids without a session part are not changed."""
        assert scrub_secrets(text) == text

    @given(prefix=SURROUNDINGS, token=TOKENS, suffix=SURROUNDINGS)
    def test_a_token_never_survives(self, prefix: str, token: str, suffix: str) -> None:
        """A credential between any non-alphanumeric text is gone after scrubbing."""
        assert token not in scrub_secrets(f"{prefix} {token} {suffix}")

    @given(st.text())
    def test_is_idempotent_on_any_text(self, text: str) -> None:
        """Scrubbing scrubbed text changes nothing."""
        once = scrub_secrets(text)
        assert scrub_secrets(once) == once

    @given(st.lists(st.sampled_from([text for text, _ in POSITIVES] + NEGATIVES), max_size=5))
    def test_is_idempotent_on_mixed_credentials(self, parts: list[str]) -> None:
        """Scrubbing text mixing credentials and prose a second time changes nothing."""
        once = scrub_secrets(" ".join(parts))
        assert scrub_secrets(once) == once


class TestScrubSecretsFilter:
    def test_scrubs_the_message_and_its_arguments(self) -> None:
        """Secrets passed as %-arguments are scrubbed in the written line."""
        logger, stream = _logger_with_filter()
        logger.warning("login for %s with %s", "alice", SESSION_ID)
        assert stream.getvalue() == "login for alice with [REDACTED:salesforce_session_id]\n"

    def test_replaces_msg_and_clears_args(self) -> None:
        """The record keeps the formatted, scrubbed text as msg and no args, and is never dropped."""
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (JWT,), None)
        assert ScrubSecretsFilter().filter(record) is True
        assert (record.msg, record.args) == ("token [REDACTED:jwt]", None)

    def test_scrubs_tracebacks(self) -> None:
        """An exception whose message holds a token is written without it."""
        logger, stream = _logger_with_filter()
        try:
            _refresh()
        except ValueError:
            logger.exception("refresh failed")
        assert REFRESH_TOKEN not in stream.getvalue()
        assert "ValueError: bad refresh [REDACTED:salesforce_refresh_token]" in stream.getvalue()

    def test_scrubs_stack_info(self) -> None:
        """Stack information attached to a record is scrubbed too."""
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None, sinfo=f"Stack: {JWT}")
        ScrubSecretsFilter().filter(record)
        assert record.stack_info == "Stack: [REDACTED:jwt]"

    def test_mismatched_arguments_are_kept_scrubbed_instead_of_raising(self) -> None:
        """A message whose arguments do not fit it is still logged, with the arguments scrubbed."""
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "no placeholder", (SESSION_ID,), None)
        assert ScrubSecretsFilter().filter(record) is True
        assert SESSION_ID not in record.getMessage()
        assert "no placeholder" in record.getMessage()

    def test_a_second_filter_changes_nothing(self) -> None:
        """Running the filter twice, as two handlers would, leaves the scrubbed message as it was."""
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "sid=%s", (SESSION_ID,), None)
        ScrubSecretsFilter().filter(record)
        first = record.getMessage()
        ScrubSecretsFilter().filter(record)
        assert record.getMessage() == first
