"""Which requests the server may run on its event loop (issue 11: never a stall)."""

from __future__ import annotations

import pytest

from iamd.server.dispatch import ApiRequest, runs_inline


def request(body: str) -> ApiRequest:
    return ApiRequest(method="POST", path="/", query_string="",
                      headers=[("Content-Type", "application/x-www-form-urlencoded")],
                      body=body.encode(), client_ip="127.0.0.1")


@pytest.mark.parametrize("action", ["GetUser", "ListUsers", "GetCallerIdentity"])
def test_small_reads_run_inline(action: str) -> None:
    assert runs_inline(request(f"Action={action}&Version=2010-05-08"))


@pytest.mark.parametrize("action", [
    "SimulateCustomPolicy", "SimulatePrincipalPolicy",
    "GetContextKeysForCustomPolicy", "GetContextKeysForPrincipalPolicy",
    "GetAccountAuthorizationDetails", "ListPolicies",
    "CreateUser",
])
def test_heavy_or_writing_calls_run_in_a_worker_thread(action: str) -> None:
    assert not runs_inline(request(f"Action={action}&Version=2010-05-08"))


def test_a_large_body_is_parsed_in_a_worker_thread() -> None:
    assert not runs_inline(request("Action=ListUsers&Version=2010-05-08&Pad=" + "x" * 20_000))
