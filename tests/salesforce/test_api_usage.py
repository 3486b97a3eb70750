"""The org's API usage (Sforce-Limit-Info): parsed, exposed on the client, and slowing retries near the limit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield import Shield
from sfshield._demo import load_demo_policy
from sfshield.audit import InMemoryAuditSink
from sfshield.salesforce import ApiUsage, RequestPolicy, TenantClient
from sfshield.testing import EmbeddedOrg
from sfshield.testing.org import FaultKind
from sfshield.transforms import PseudonymKey
from tests.salesforce._tenants import tenant_config, token_store

QUERY = "SELECT Id, Title FROM Contact"
LIMITED = RequestPolicy(backoff=0.01, max_backoff=6.0, limit_backoff=1.0, usage_threshold=0.95)


@pytest.fixture(scope="module")
def org() -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=1, size=3) as running:
        yield running


@pytest.fixture
def usage(org: EmbeddedOrg) -> Iterator[Any]:
    """Sets the org's API usage; restores it and disarms faults afterwards."""
    state = org.org(0)

    def set_usage(used: int, limit: int) -> None:
        with state.lock:
            state.api_used, state.api_limit = used, limit

    yield set_usage
    org.clear_faults(0)
    set_usage(0, 15_000)


def client_for(org: EmbeddedOrg, sleeps: list[float], **policy: Any) -> TenantClient:
    config = tenant_config(org)
    store = token_store(org, config)
    shield = Shield(load_demo_policy(), tenant="acme", audit=InMemoryAuditSink(), pseudonym_key=PseudonymKey.generate())
    settings = {"backoff": 0.01, "max_backoff": 6.0, "limit_backoff": 1.0, "usage_threshold": 0.95} | policy
    client = TenantClient(
        config,
        shield=shield,
        token_store=store,
        session=org.session(),
        policy=RequestPolicy(**settings, sleep=sleeps.append),
    )
    client.connect()  # the login and privilege check are data calls too: done before the usage is set
    return client


class TestApiUsage:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("api-usage=18/5000", ApiUsage(18, 5000)),
            ("api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)", ApiUsage(25, 5000)),
            ("api-bursts=1/750; api-usage=7/100", ApiUsage(7, 100)),
            ("per-app-api-usage=17/250(appName=x)", None),
            ("api-usage=1/0", None),
            ("api-usage=many/5000", None),
            ("api-usage=1/5000" + " " * 600, None),
            ("", None),
            (None, None),
        ],
    )
    def test_the_header_is_parsed_or_ignored(self, header: str | None, expected: ApiUsage | None) -> None:
        """Only a well-formed, bounded api-usage=N/M counts; per-app quotas and garbage are ignored."""
        assert ApiUsage.from_header(header) == expected

    def test_it_says_its_share(self) -> None:
        """The share is used / limit, shown as a percentage."""
        assert ApiUsage(980, 1000).share == pytest.approx(0.98)
        assert str(ApiUsage(980, 1000)) == "980/1000 (98%)"


class TestLimitWait:
    @pytest.mark.parametrize(
        ("used", "limited", "wait"),
        [
            (None, False, 0.0),  # nothing known, nothing refused
            (None, True, 6.0),  # refused, usage unknown: the longest wait
            (500, False, 0.0),  # half the allowance: no pressure
            (500, True, 1.0),  # refused at half the allowance (concurrency limit): limit_backoff
            (950, False, 1.0),  # at the threshold
            (980, False, 4.0),  # 60 % of the way from the threshold to the limit
            (1000, False, 6.0),  # spent
            (1200, True, 6.0),  # over: never more than max_backoff
        ],
    )
    def test_the_wait_grows_from_limit_backoff_to_max_backoff(
        self, used: int | None, limited: bool, wait: float
    ) -> None:
        """Under pressure the wait is limit_backoff at the threshold, growing linearly to max_backoff at the limit."""
        usage = None if used is None else ApiUsage(used, 1000)
        assert LIMITED.limit_wait(usage, limited=limited) == pytest.approx(wait)

    def test_limit_backoff_is_bounded_by_max_backoff(self) -> None:
        """A limit_backoff above max_backoff waits max_backoff."""
        policy = RequestPolicy(max_backoff=2.0, limit_backoff=30.0)
        assert policy.limit_wait(ApiUsage(950, 1000)) == policy.limit_wait(None, limited=True) == 2.0

    @given(
        used=st.integers(min_value=0, max_value=2000),
        more=st.integers(min_value=0, max_value=2000),
        limited=st.booleans(),
    )
    def test_the_wait_is_bounded_and_never_shrinks_as_usage_grows(self, used: int, more: int, limited: bool) -> None:
        """For any usage the wait is between 0 and max_backoff, and more usage never waits less."""
        lower = LIMITED.limit_wait(ApiUsage(used, 1000), limited=limited)
        higher = LIMITED.limit_wait(ApiUsage(used + more, 1000), limited=limited)
        assert 0.0 <= lower <= higher <= LIMITED.max_backoff

    @pytest.mark.parametrize(
        "settings", [{"usage_threshold": 0.0}, {"usage_threshold": 1.0}, {"usage_threshold": 1.5}, {"limit_backoff": 0}]
    )
    def test_impossible_settings_are_refused(self, settings: dict[str, float]) -> None:
        """The threshold is a share strictly between 0 and 1, and waits are positive."""
        with pytest.raises(ValueError, match=r"usage_threshold|positive"):
            RequestPolicy(**settings)


class TestClientBackoff:
    def test_a_request_limit_refusal_waits_by_the_usage_its_answer_reports(self, org: EmbeddedOrg, usage: Any) -> None:
        """REQUEST_LIMIT_EXCEEDED at 980/1000 waits 1 + 5 x 0.6 = 4 s (no real sleep), then the query succeeds."""
        sleeps: list[float] = []
        client = client_for(org, sleeps)
        usage(980, 1000)
        org.inject(FaultKind.REQUEST_LIMIT, nth=1)
        assert list(client.query(QUERY, purpose="training"))
        assert len(sleeps) == 1 and 4.0 <= sleeps[0] <= 4.0 + LIMITED.backoff
        assert client.api_usage == ApiUsage(981, 1000)  # the successful retry's answer

    def test_a_server_error_at_low_usage_waits_the_usual_backoff(self, org: EmbeddedOrg, usage: Any) -> None:
        """Far from the limit a 500 is retried after the short exponential backoff."""
        sleeps: list[float] = []
        client = client_for(org, sleeps)
        usage(10, 1000)
        org.inject(FaultKind.SERVER_ERROR, nth=1)
        assert list(client.query(QUERY, purpose="training"))
        assert len(sleeps) == 1 and sleeps[0] <= 2 * LIMITED.backoff

    def test_high_usage_slows_the_retry_of_any_failure(self, org: EmbeddedOrg, usage: Any) -> None:
        """At 990/1000 even a 500 waits 1 + 5 x 0.8 = 5 s before the next attempt."""
        sleeps: list[float] = []
        client = client_for(org, sleeps)
        usage(990, 1000)
        org.inject(FaultKind.SERVER_ERROR, nth=1)
        assert list(client.query(QUERY, purpose="training"))
        assert len(sleeps) == 1 and 5.0 <= sleeps[0] <= 5.0 + LIMITED.backoff

    def test_a_bulk_request_limit_is_retried_with_the_longer_wait(self, org: EmbeddedOrg, usage: Any) -> None:
        """Bulk API 2.0 calls refused with REQUEST_LIMIT_EXCEEDED are retried after limit_backoff, not failed."""
        sleeps: list[float] = []
        client = client_for(org, sleeps)
        usage(500, 1000)  # a concurrency refusal at half the daily allowance
        org.inject(FaultKind.REQUEST_LIMIT, nth=1)
        rows = list(client.export("Contact", ["Id", "Title"], purpose="training"))
        assert rows and 1.0 <= sleeps[0] <= 1.0 + LIMITED.backoff

    def test_usage_is_exposed_and_a_warning_is_logged_once_per_rise(
        self, org: EmbeddedOrg, usage: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        """client.api_usage follows the answers; crossing the threshold logs one warning with counts only."""
        caplog.set_level(logging.WARNING, logger="sfshield")
        client = client_for(org, [])
        list(client.query(QUERY, purpose="training"))
        assert client.api_usage is not None and client.api_usage.share < 0.95
        usage(990, 1000)
        list(client.query(QUERY, purpose="training"))
        list(client.query(QUERY, purpose="training"))
        warnings = [r.getMessage() for r in caplog.records if "API requests" in r.getMessage()]
        assert len(warnings) == 1
        assert warnings[0].startswith("the org of tenant 'acme' has used 991/1000 (99%) of its API requests")
        usage(10, 1000)
        list(client.query(QUERY, purpose="training"))
        usage(990, 1000)
        list(client.query(QUERY, purpose="training"))
        assert len([r for r in caplog.records if "API requests" in r.getMessage()]) == 2
        assert org.handles[0].client_secret not in caplog.text and "!" not in caplog.text
