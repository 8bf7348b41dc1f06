"""Which requests the server may run on its event loop (issue 11: never a stall)."""

from __future__ import annotations

import pytest

from iamd.server.dispatch import ApiRequest, runs_inline, runs_long


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


@pytest.mark.parametrize("action", [
    "SimulateCustomPolicy", "SimulatePrincipalPolicy", "GetContextKeysForPrincipalPolicy",
    "GetAccountAuthorizationDetails", "GenerateCredentialReport", "AssumeRoleWithWebIdentity",
])
def test_calls_that_may_compute_or_wait_for_long_get_the_pool_of_their_own(action: str) -> None:
    assert runs_long(request(f"Action={action}&Version=2010-05-08"))


@pytest.mark.parametrize("action", ["CreateUser", "PutUserPolicy", "DeleteAccessKey", "AssumeRole"])
def test_short_calls_share_the_small_pool(action: str) -> None:
    assert not runs_long(request(f"Action={action}&Version=2010-05-08"))
    assert runs_long(request(f"Action={action}&Version=2010-05-08&Pad=" + "x" * 20_000))


def test_a_row_whose_parent_went_away_meanwhile_answers_concurrent_modification() -> None:
    """Another request deleted the user this one was adding a key to, after this one looked
    it up: IAM's answer for crossing changes, a 409, not an internal failure."""
    from types import SimpleNamespace

    from iamd.protocol.errors import ConcurrentModification
    from iamd.server.dispatch import run_handler
    from iamd.store import ReferenceGone

    def handler(context: object, params: object) -> None:
        raise ReferenceGone("access_keys: the row refers to one that is gone")

    state = SimpleNamespace(db=None, box=None, runtime=None, quotas=None, audit=None,
                            authorizer=SimpleNamespace(authorize=lambda *args: None))
    with pytest.raises(ConcurrentModification) as raised:
        run_handler(state, "iam", "CreateAccessKey", handler, {}, caller=None,  # type: ignore[arg-type]
                    request_id="r", client_ip="127.0.0.1", user_agent="", secure=False)
    assert raised.value.status == 409 and "simultaneously" in raised.value.message
