"""Faults switched on at run time: each one reaches simple-salesforce the way Salesforce's would."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from sfshield.testing import EmbeddedOrg
from sfshield.testing.org import FaultKind

QUERY = "SELECT Id FROM Account LIMIT 1"


@pytest.fixture(scope="module")
def org() -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=2, size=5) as running:
        yield running


@pytest.fixture
def sf(org: EmbeddedOrg) -> Iterator[Salesforce]:
    handle = org.handles[0]
    yield Salesforce(instance_url=org.instance_url, session_id=handle.access_token, session=org.session())
    org.clear_faults(0)


class TestErrorFaults:
    @pytest.mark.parametrize(
        ("kind", "status", "error", "code"),
        [
            (FaultKind.SERVER_ERROR, 500, SalesforceGeneralError, "UNKNOWN_EXCEPTION"),
            (FaultKind.REQUEST_LIMIT, 403, SalesforceRefusedRequest, "REQUEST_LIMIT_EXCEEDED"),
            (FaultKind.LOCK_ROW, 400, SalesforceMalformedRequest, "UNABLE_TO_LOCK_ROW"),
        ],
    )
    def test_error_faults_answer_in_salesforce_shape(
        self,
        org: EmbeddedOrg,
        sf: Salesforce,
        kind: FaultKind,
        status: int,
        error: type[Exception],
        code: str,
    ) -> None:
        """Each error fault answers its status with a [{message, errorCode}] body."""
        org.inject(kind, nth=1)
        with pytest.raises(error) as caught:
            sf.query(QUERY)
        assert caught.value.status == status  # type: ignore[attr-defined]
        assert caught.value.content[0]["errorCode"] == code  # type: ignore[attr-defined]

    def test_a_503_can_be_asked_for(self, org: EmbeddedOrg, sf: Salesforce) -> None:
        """SERVER_ERROR with status=503 answers SERVER_UNAVAILABLE."""
        org.inject(FaultKind.SERVER_ERROR, nth=1, status=503)
        with pytest.raises(SalesforceGeneralError) as caught:
            sf.query(QUERY)
        assert caught.value.status == 503

    def test_an_expired_session_fault_is_a_401(self, org: EmbeddedOrg, sf: Salesforce) -> None:
        """EXPIRED_SESSION answers 401 INVALID_SESSION_ID although the token is still valid."""
        org.inject(FaultKind.EXPIRED_SESSION, nth=1)
        with pytest.raises(SalesforceExpiredSession):
            sf.query(QUERY)
        assert sf.query(QUERY)["totalSize"] == 1


class TestTransportFaults:
    def test_a_truncated_body_breaks_the_read(self, org: EmbeddedOrg, sf: Salesforce) -> None:
        """A body cut in half surfaces as a requests error, not as a short result."""
        org.inject(FaultKind.TRUNCATED_BODY, nth=1)
        with pytest.raises(requests.exceptions.RequestException):
            sf.query(QUERY)

    def test_a_non_json_body_cannot_be_mistaken_for_records(self, org: EmbeddedOrg, sf: Salesforce) -> None:
        """An HTML maintenance page fails JSON decoding."""
        org.inject(FaultKind.NON_JSON_BODY, nth=1)
        with pytest.raises(ValueError, match="Expecting value"):
            sf.query(QUERY)

    def test_a_reset_connection_is_a_connection_error(self, org: EmbeddedOrg, sf: Salesforce) -> None:
        """A reset surfaces as requests' ConnectionError."""
        org.inject(FaultKind.CONNECTION_RESET, nth=1)
        with pytest.raises(requests.exceptions.ConnectionError):
            sf.query(QUERY)

    def test_latency_delays_but_answers(self, org: EmbeddedOrg, sf: Salesforce) -> None:
        """LATENCY answers correctly, only later."""
        org.inject(FaultKind.LATENCY, nth=1, seconds=0.3)
        started = time.perf_counter()
        assert sf.query(QUERY)["totalSize"] == 1
        assert time.perf_counter() - started >= 0.3


class TestArming:
    def test_a_fault_fires_on_the_nth_request_only_as_often_as_asked(self, org: EmbeddedOrg, sf: Salesforce) -> None:
        """nth=3, times=1 lets two requests through, fails the third, and then disarms."""
        fault = org.inject(FaultKind.SERVER_ERROR, nth=3)
        sf.query(QUERY)
        sf.query(QUERY)
        with pytest.raises(SalesforceGeneralError):
            sf.query(QUERY)
        sf.query(QUERY)
        sf.query(QUERY)
        sf.query(QUERY)
        assert fault.fired == 1

    def test_a_rate_fault_fires_about_that_often(self, org: EmbeddedOrg, sf: Salesforce) -> None:
        """rate=0.5 fails roughly half of 60 requests (seeded, so the count is stable)."""
        org.inject(FaultKind.LOCK_ROW, rate=0.5, times=None)
        failures = 0
        for _ in range(60):
            try:
                sf.query(QUERY)
            except SalesforceMalformedRequest:
                failures += 1
        assert 15 <= failures <= 45

    def test_faults_belong_to_one_org(self, org: EmbeddedOrg) -> None:
        """A fault armed on org 0 leaves org 1 untouched."""
        org.inject(FaultKind.SERVER_ERROR, org=0, nth=1, times=None)
        try:
            other = org.handles[1]
            sf = Salesforce(instance_url=org.instance_url, session_id=other.access_token, session=org.session())
            assert sf.query(QUERY)["totalSize"] == 1
        finally:
            org.clear_faults(0)

    @pytest.mark.parametrize("arguments", [{}, {"nth": 1, "rate": 0.5}, {"nth": 0}, {"rate": 2.0}])
    def test_bad_arming_is_refused(self, org: EmbeddedOrg, arguments: dict[str, float]) -> None:
        """Exactly one of nth >= 1 or 0 <= rate <= 1 is required."""
        with pytest.raises(ValueError, match="exactly one"):
            org.inject(FaultKind.LATENCY, **arguments)  # type: ignore[arg-type]


def token_request(org: EmbeddedOrg, index: int = 0) -> requests.Response:
    handle = org.handles[index]
    with org.session() as session:
        return session.post(
            f"{org.instance_url}/services/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(handle.client_id, handle.client_secret),
            timeout=10,
        )


class TestTokenEndpointFaults:
    def test_a_server_error_answers_in_oauth_shape_then_logins_work_again(self, org: EmbeddedOrg) -> None:
        """SERVER_ERROR on the token endpoint answers its status with OAuth's unknown_error, once."""
        org.inject(FaultKind.SERVER_ERROR, endpoint="token", nth=1, status=503)
        try:
            failed = token_request(org)
            assert (failed.status_code, failed.json()["error"]) == (503, "unknown_error")
            assert token_request(org).json()["access_token"]
        finally:
            org.clear_faults(0)

    def test_invalid_grant_refuses_the_login(self, org: EmbeddedOrg) -> None:
        """INVALID_GRANT answers 400 invalid_grant although the credentials are right."""
        org.inject(FaultKind.INVALID_GRANT, endpoint="token", nth=1)
        try:
            refused = token_request(org)
        finally:
            org.clear_faults(0)
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")

    def test_token_faults_belong_to_the_org_whose_app_logs_in(self, org: EmbeddedOrg) -> None:
        """A token fault armed on org 0 leaves org 1's logins, and org 0's data API, alone."""
        fault = org.inject(FaultKind.SERVER_ERROR, endpoint="token", org=0, nth=1, times=None)
        try:
            assert token_request(org, 1).status_code == 200
            handle = org.handles[0]
            sf = Salesforce(instance_url=org.instance_url, session_id=handle.access_token, session=org.session())
            assert sf.query(QUERY)["totalSize"] == 1
            assert token_request(org, 0).status_code == 500
        finally:
            org.clear_faults(0)
        assert fault.fired == 1

    @pytest.mark.parametrize(
        ("kind", "endpoint"),
        [
            (FaultKind.REQUEST_LIMIT, "token"),
            (FaultKind.EXPIRED_SESSION, "token"),
            (FaultKind.INVALID_GRANT, "data"),
        ],
    )
    def test_a_kind_that_does_not_fit_the_endpoint_is_refused(
        self, org: EmbeddedOrg, kind: FaultKind, endpoint: str
    ) -> None:
        """A data-API error cannot be armed on the token endpoint, nor an OAuth refusal on the data API."""
        with pytest.raises(ValueError, match="cannot be armed"):
            org.inject(kind, endpoint=endpoint, nth=1)


class TestLimitInfo:
    def test_refusals_and_faults_report_api_usage(self, org: EmbeddedOrg) -> None:
        """A REQUEST_LIMIT_EXCEEDED answer, injected or real, carries Sforce-Limit-Info like any data answer."""
        state = org.org(0)
        headers = {"Authorization": f"Bearer {org.handles[0].access_token}"}
        url = f"{org.instance_url}/services/data/v66.0/query"
        org.inject(FaultKind.REQUEST_LIMIT, nth=1)
        with org.session() as session:
            injected = session.get(url, params={"q": QUERY}, headers=headers, timeout=10)
            with state.lock:
                saved, state.api_used = state.api_used, state.api_limit
            try:
                spent = session.get(url, params={"q": QUERY}, headers=headers, timeout=10)
            finally:
                with state.lock:
                    state.api_used = saved
        assert injected.status_code == spent.status_code == 403
        assert spent.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
        assert injected.headers["Sforce-Limit-Info"].startswith("api-usage=")
        assert spent.headers["Sforce-Limit-Info"] == f"api-usage={state.api_limit}/{state.api_limit}"
