"""Temporary delegation requests through boto3 and the AWS CLI: a partner account creates a
request, a customer account associates, updates, accepts or rejects it and sends the token."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iamd.services.iam import delegation_requests as module
from tests.e2e.conftest import RunningServer, error_of

TEMPLATE = "arn:aws:iam::aws:policy-template/PartnerOnboarding"


def new_account(server: RunningServer) -> tuple[Any, str]:
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status in (200, 201)
    client = server.client(
        "iam", access_key_id=created["access_key_id"], secret_access_key=created["secret_access_key"]
    )
    return client, created["account_id"]


def create(partner: Any, workflow: str = "workflow-1", **extra: Any) -> str:
    params: dict[str, Any] = {
        "Description": "Set up monitoring",
        "Permissions": {
            "PolicyTemplateArn": TEMPLATE,
            "Parameters": [{"Name": "BucketName", "Values": ["logs"], "Type": "string"}],
        },
        "RequestorWorkflowId": workflow,
        "NotificationChannel": "arn:aws:sns:us-east-1:111122223333:partner-topic",
        "SessionDuration": 3600,
        **extra,
    }
    return str(partner.create_delegation_request(**params)["DelegationRequestId"])


def get(client: Any, request_id: str) -> dict[str, Any]:
    return dict(client.get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"])


@pytest.fixture
def partner(server: RunningServer) -> Any:
    return new_account(server)[0]


def root_arn(server: RunningServer) -> str:
    return f"arn:aws:iam::{server.account_id}:root"


# -- CreateDelegationRequest / GetDelegationRequest -------------------------------------


def test_create_then_get(server: RunningServer, partner: Any) -> None:
    response = partner.create_delegation_request(
        Description="Set up monitoring",
        Permissions={"PolicyTemplateArn": TEMPLATE, "Parameters": [{"Name": "Region", "Values": ["us-east-1"]}]},
        RequestMessage="Second try",
        RequestorWorkflowId="wf-create",
        RedirectUrl="https://partner.example.com/back",
        NotificationChannel="arn:aws:sns:us-east-1:111122223333:topic",
        SessionDuration=7200,
        OnlySendByOwner=True,
        OwnerAccountId=server.account_id,
    )
    request_id = response["DelegationRequestId"]
    assert 16 <= len(request_id) <= 128
    assert request_id in response["ConsoleDeepLink"]
    request = get(partner, request_id)
    assert request["State"] == "UNASSIGNED"
    assert request["Description"] == "Set up monitoring"
    assert request["RequestMessage"] == "Second try"
    assert request["Permissions"] == {
        "PolicyTemplateArn": TEMPLATE,
        "Parameters": [{"Name": "Region", "Values": ["us-east-1"]}],
    }
    assert request["OwnerAccountId"] == server.account_id
    assert "OwnerId" not in request
    assert request["SessionDuration"] == 7200
    assert request["OnlySendByOwner"] is True
    assert request["RedirectUrl"] == "https://partner.example.com/back"
    assert request["ExpirationTime"] > request["CreateDate"]
    assert request["RequestorId"] != server.account_id


def test_duplicate_workflow_id(partner: Any) -> None:
    create(partner, "wf-dup")
    code, status, message = error_of(
        partner.create_delegation_request,
        Description="again",
        Permissions={"PolicyTemplateArn": TEMPLATE},
        RequestorWorkflowId="wf-dup",
        NotificationChannel="arn:aws:sns:us-east-1:111122223333:topic",
        SessionDuration=900,
    )
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert "wf-dup" in message


def test_workflow_ids_are_per_requestor(server: RunningServer, iam: Any, partner: Any) -> None:
    create(partner, "wf-shared")
    create(iam, "wf-shared")


@pytest.mark.parametrize(
    "overrides",
    [
        {"Permissions": {"Parameters": [{"Name": "Region", "Values": ["x"]}]}},
        {"NotificationChannel": "not-an-sns-topic"},
    ],
)
def test_create_invalid_input(partner: Any, overrides: dict[str, Any]) -> None:
    params: dict[str, Any] = {
        "Description": "d",
        "Permissions": {"PolicyTemplateArn": TEMPLATE},
        "RequestorWorkflowId": "wf-invalid",
        "NotificationChannel": "arn:aws:sns:us-east-1:111122223333:topic",
        "SessionDuration": 900,
        **overrides,
    }
    code, status, _ = error_of(partner.create_delegation_request, **params)
    assert (code, status) == ("InvalidInput", 400)


def test_get_unknown(iam: Any) -> None:
    code, status, message = error_of(iam.get_delegation_request, DelegationRequestId="0000000000000000-none")
    assert (code, status) == ("NoSuchEntity", 404)
    assert "0000000000000000-none" in message


def test_targeted_request_is_hidden_from_other_accounts(server: RunningServer, iam: Any, partner: Any) -> None:
    request_id = create(partner, OwnerAccountId=server.account_id)
    assert get(iam, request_id)["State"] == "UNASSIGNED"
    third, _ = new_account(server)
    code, status, _ = error_of(third.get_delegation_request, DelegationRequestId=request_id)
    assert (code, status) == ("NoSuchEntity", 404)
    code, status, _ = error_of(third.associate_delegation_request, DelegationRequestId=request_id)
    assert (code, status) == ("NoSuchEntity", 404)


def test_permission_check(iam: Any, partner: Any) -> None:
    request_id = create(partner)
    response = iam.get_delegation_request(DelegationRequestId=request_id, DelegationPermissionCheck=True)
    assert response["PermissionCheckStatus"] == "COMPLETE"
    assert response["PermissionCheckResult"] == "ALLOWED"
    assert "PermissionCheckStatus" not in iam.get_delegation_request(DelegationRequestId=request_id)


# -- AssociateDelegationRequest -----------------------------------------------------------


def test_associate_open_request(server: RunningServer, iam: Any, partner: Any) -> None:
    request_id = create(partner)
    iam.associate_delegation_request(DelegationRequestId=request_id)
    request = get(iam, request_id)
    assert request["State"] == "ASSIGNED"
    assert request["OwnerId"] == root_arn(server)
    assert request["OwnerAccountId"] == server.account_id
    # Now owned, it is hidden from any third account but still seen by its partner.
    third, _ = new_account(server)
    assert error_of(third.get_delegation_request, DelegationRequestId=request_id)[0] == "NoSuchEntity"
    assert get(partner, request_id)["State"] == "ASSIGNED"


def test_associate_twice(iam: Any, partner: Any) -> None:
    request_id = create(partner)
    iam.associate_delegation_request(DelegationRequestId=request_id)
    code, status, _ = error_of(iam.associate_delegation_request, DelegationRequestId=request_id)
    assert (code, status) == ("InvalidInput", 400)


def test_associate_unknown(iam: Any) -> None:
    code, status, _ = error_of(iam.associate_delegation_request, DelegationRequestId="unknown-request-id-1")
    assert (code, status) == ("NoSuchEntity", 404)


# -- ListDelegationRequests ---------------------------------------------------------------


def test_list_shows_owned_requests_only(server: RunningServer, iam: Any, partner: Any) -> None:
    owned = [create(partner, f"wf-list-{n}") for n in range(3)]
    unowned = create(partner, "wf-list-unowned", OwnerAccountId=server.account_id)
    for request_id in owned:
        iam.associate_delegation_request(DelegationRequestId=request_id)
    response = iam.list_delegation_requests()
    listed = [request["DelegationRequestId"] for request in response["DelegationRequests"]]
    assert sorted(listed) == sorted(owned)
    assert unowned not in listed
    assert response["isTruncated"] is False
    assert partner.list_delegation_requests()["DelegationRequests"] == []


def test_list_pages(iam: Any, partner: Any) -> None:
    created = [create(partner, f"wf-page-{n}") for n in range(3)]
    for request_id in created:
        iam.associate_delegation_request(DelegationRequestId=request_id)
    first = iam.list_delegation_requests(MaxItems=2)
    assert first["isTruncated"] is True and len(first["DelegationRequests"]) == 2
    second = iam.list_delegation_requests(MaxItems=2, Marker=first["Marker"])
    assert second["isTruncated"] is False and len(second["DelegationRequests"]) == 1
    seen = [r["DelegationRequestId"] for r in first["DelegationRequests"] + second["DelegationRequests"]]
    assert sorted(seen) == sorted(created)


def test_list_by_owner(server: RunningServer, iam: Any, partner: Any) -> None:
    mine = create(partner, "wf-owner-root")
    iam.associate_delegation_request(DelegationRequestId=mine)
    user = user_client(server, iam, "approver", ["iam:AssociateDelegationRequest"])
    theirs = create(partner, "wf-owner-user")
    user.associate_delegation_request(DelegationRequestId=theirs)
    by_root = iam.list_delegation_requests(OwnerId=root_arn(server))["DelegationRequests"]
    assert [r["DelegationRequestId"] for r in by_root] == [mine]
    user_arn = f"arn:aws:iam::{server.account_id}:user/approver"
    by_user = iam.list_delegation_requests(OwnerId=user_arn)["DelegationRequests"]
    assert [(r["DelegationRequestId"], r["OwnerId"]) for r in by_user] == [(theirs, user_arn)]


def test_list_bad_marker(iam: Any) -> None:
    code, status, _ = error_of(iam.list_delegation_requests, Marker="!!!not-a-marker")
    assert (code, status) == ("InvalidInput", 400)


# -- UpdateDelegationRequest --------------------------------------------------------------


def test_update_forwards_for_approval(iam: Any, partner: Any) -> None:
    request_id = create(partner)
    iam.associate_delegation_request(DelegationRequestId=request_id)
    iam.update_delegation_request(DelegationRequestId=request_id, Notes="Please approve")
    request = get(iam, request_id)
    assert (request["State"], request["Notes"]) == ("PENDING_APPROVAL", "Please approve")
    assert request["UpdatedTime"] >= request["CreateDate"]


def test_update_before_associate(iam: Any, partner: Any) -> None:
    request_id = create(partner)
    code, status, _ = error_of(iam.update_delegation_request, DelegationRequestId=request_id, Notes="n")
    assert (code, status) == ("InvalidInput", 400)


def test_partner_cannot_act_as_customer(iam: Any, partner: Any) -> None:
    request_id = create(partner)
    iam.associate_delegation_request(DelegationRequestId=request_id)
    for call in (
        partner.update_delegation_request,
        partner.accept_delegation_request,
        partner.reject_delegation_request,
        partner.send_delegation_token,
    ):
        code, status, _ = error_of(call, DelegationRequestId=request_id)
        assert (code, status) == ("NoSuchEntity", 404)


# -- AcceptDelegationRequest / RejectDelegationRequest / SendDelegationToken ---------------


def test_accept_then_send(server: RunningServer, iam: Any, partner: Any) -> None:
    request_id = create(partner)
    iam.associate_delegation_request(DelegationRequestId=request_id)
    code, status, _ = error_of(iam.send_delegation_token, DelegationRequestId=request_id)
    assert (code, status) == ("InvalidInput", 400)
    iam.accept_delegation_request(DelegationRequestId=request_id)
    request = get(iam, request_id)
    assert (request["State"], request["ApproverId"]) == ("ACCEPTED", root_arn(server))
    code, status, _ = error_of(iam.accept_delegation_request, DelegationRequestId=request_id)
    assert (code, status) == ("InvalidInput", 400)
    iam.send_delegation_token(DelegationRequestId=request_id)
    request = get(iam, request_id)
    assert request["State"] == "FINALIZED"
    # The delegation period (SessionDuration seconds) starts when the token is sent.
    assert request["ExpirationTime"] - request["UpdatedTime"] == timedelta(seconds=3600)
    for call in (iam.reject_delegation_request, iam.send_delegation_token, iam.update_delegation_request):
        assert error_of(call, DelegationRequestId=request_id)[0] == "InvalidInput"


def test_accept_after_pending_approval(iam: Any, partner: Any) -> None:
    request_id = create(partner)
    iam.associate_delegation_request(DelegationRequestId=request_id)
    iam.update_delegation_request(DelegationRequestId=request_id)
    iam.accept_delegation_request(DelegationRequestId=request_id)
    assert get(iam, request_id)["State"] == "ACCEPTED"


def test_accept_unknown(iam: Any) -> None:
    code, status, _ = error_of(iam.accept_delegation_request, DelegationRequestId="unknown-request-id-2")
    assert (code, status) == ("NoSuchEntity", 404)


def test_reject(iam: Any, partner: Any) -> None:
    request_id = create(partner)
    iam.associate_delegation_request(DelegationRequestId=request_id)
    iam.accept_delegation_request(DelegationRequestId=request_id)
    iam.reject_delegation_request(DelegationRequestId=request_id, Notes="Too broad")
    request = get(partner, request_id)
    assert (request["State"], request["RejectionReason"]) == ("REJECTED", "Too broad")
    assert request["ExpirationTime"] - request["UpdatedTime"] == timedelta(days=7)
    for call in (iam.accept_delegation_request, iam.update_delegation_request, iam.reject_delegation_request):
        code, status, _ = error_of(call, DelegationRequestId=request_id)
        assert (code, status) == ("InvalidInput", 400)


def test_reject_unassociated(iam: Any, partner: Any) -> None:
    request_id = create(partner)
    code, status, _ = error_of(iam.reject_delegation_request, DelegationRequestId=request_id)
    assert (code, status) == ("InvalidInput", 400)


def user_client(server: RunningServer, iam: Any, name: str, actions: list[str]) -> Any:
    iam.create_user(UserName=name)
    if actions:
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
        iam.put_user_policy(UserName=name, PolicyName="allow", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


def test_only_send_by_owner(server: RunningServer, iam: Any, partner: Any) -> None:
    request_id = create(partner, OnlySendByOwner=True)
    owner = user_client(server, iam, "owner", ["iam:AssociateDelegationRequest", "iam:SendDelegationToken"])
    owner.associate_delegation_request(DelegationRequestId=request_id)
    iam.accept_delegation_request(DelegationRequestId=request_id)
    code, status, _ = error_of(iam.send_delegation_token, DelegationRequestId=request_id)
    assert (code, status) == ("InvalidInput", 400)
    owner.send_delegation_token(DelegationRequestId=request_id)
    assert get(iam, request_id)["State"] == "FINALIZED"


def test_iam_user_needs_permission(server: RunningServer, iam: Any, partner: Any) -> None:
    request_id = create(partner)
    denied = user_client(server, iam, "nobody", [])
    code, status, _ = error_of(denied.associate_delegation_request, DelegationRequestId=request_id)
    assert (code, status) == ("AccessDenied", 403)
    code, status, _ = error_of(denied.list_delegation_requests)
    assert (code, status) == ("AccessDenied", 403)


# -- expiry -------------------------------------------------------------------------------


def test_open_request_expires() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    record = module.DelegationRequestRecord(
        id="x" * 16, requestor_account_id="111122223333", requestor_workflow_id="wf", owner_account_id=None,
        owner_id=None, approver_id=None, description="", request_message=None, permissions="{}",
        redirect_url=None, notification_channel="arn:aws:sns:us-east-1:1:t", session_duration=900,
        only_send_by_owner=False, state="ASSIGNED", notes=None, rejection_reason=None, created_at=now,
        updated_at=now, expires_at=now + module.OPEN_LIFETIME,
    )
    assert module._state(record, now) == "ASSIGNED"
    assert module._state(record, now + module.OPEN_LIFETIME) == "EXPIRED"
    finalized = record.__class__(**{**record.__dict__, "state": "FINALIZED"})
    assert module._state(finalized, now + timedelta(days=30)) == "FINALIZED"


# -- the AWS CLI --------------------------------------------------------------------------


def test_cli_create_associate_get(server: RunningServer) -> None:
    aws = [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "--output", "json", "iam"]
    env = server.cli_env()

    def run(*args: str) -> str:
        return subprocess.run([*aws, *args], env=env, check=True, capture_output=True, text=True, timeout=60).stdout

    created = json.loads(
        run(
            "create-delegation-request", "--description", "cli", "--permissions",
            json.dumps({"PolicyTemplateArn": TEMPLATE}), "--requestor-workflow-id", "wf-cli",
            "--notification-channel", "arn:aws:sns:us-east-1:111122223333:topic", "--session-duration", "900",
        )
    )
    request_id = created["DelegationRequestId"]
    run("associate-delegation-request", "--delegation-request-id", request_id)
    shown = json.loads(run("get-delegation-request", "--delegation-request-id", request_id))
    assert shown["DelegationRequest"]["State"] == "ASSIGNED"
    listed = json.loads(run("list-delegation-requests"))
    assert [r["DelegationRequestId"] for r in listed["DelegationRequests"]] == [request_id]


def test_the_owner_may_get_its_request_without_a_policy(server: RunningServer, iam: Any, partner: Any) -> None:
    request_id = create(partner)
    owner = user_client(server, iam, "owner", ["iam:AssociateDelegationRequest"])
    bystander = user_client(server, iam, "bystander", [])
    code, status, _ = error_of(owner.get_delegation_request, DelegationRequestId=request_id)
    assert (code, status) == ("AccessDenied", 403)  # not the owner yet
    owner.associate_delegation_request(DelegationRequestId=request_id)
    assert get(owner, request_id)["State"] == "ASSIGNED"
    code, status, _ = error_of(bystander.get_delegation_request, DelegationRequestId=request_id)
    assert (code, status) == ("AccessDenied", 403)
