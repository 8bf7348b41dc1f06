"""Every call authorised as AWS does it: the three ways to grant, deny wins, ABAC,
boundaries and the privilege-escalation guard, AccessDenied messages, soft mode."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, start_server, stop_server


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def new_user(iam: Any, server: RunningServer, name: str, tags: dict[str, str] | None = None) -> Any:
    kwargs: dict[str, Any] = {"UserName": name}
    if tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    iam.create_user(**kwargs)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


def denied(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return str(info.value.response["Error"]["Message"])


def test_new_user_is_denied_everything(iam: Any, server: RunningServer) -> None:
    bob = new_user(iam, server, "bob")
    message = denied(bob.list_users)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/bob is not authorized to perform: iam:ListUsers "
        "on resource: * because no identity-based policy allows the iam:ListUsers action"
    )
    message = denied(bob.get_role, RoleName="anything")
    assert f"on resource: arn:aws:iam::{ACCOUNT_ID}:role/anything" in message
    denied(bob.create_user, UserName="mallory")
    # GetCallerIdentity cannot be denied.
    assert server.client("sts", access_key_id=bob._request_signer._credentials.access_key,
                         secret_access_key=bob._request_signer._credentials.secret_key
                         ).get_caller_identity()["Arn"].endswith(":user/bob")


@pytest.mark.parametrize("way", ["inline", "managed", "group"])
def test_three_ways_to_grant_and_deny_wins(iam: Any, server: RunningServer, way: str) -> None:
    bob = new_user(iam, server, "bob")
    denied(bob.list_users)
    grant = doc(allow("iam:ListUsers"))
    if way == "inline":
        iam.put_user_policy(UserName="bob", PolicyName="grant", PolicyDocument=grant)
    elif way == "managed":
        arn = iam.create_policy(PolicyName="grant", PolicyDocument=grant)["Policy"]["Arn"]
        iam.attach_user_policy(UserName="bob", PolicyArn=arn)
    else:
        iam.create_group(GroupName="readers")
        iam.put_group_policy(GroupName="readers", PolicyName="grant", PolicyDocument=grant)
        iam.add_user_to_group(GroupName="readers", UserName="bob")
    assert bob.list_users()["Users"][0]["UserName"] == "bob"
    # An explicit deny, wherever it comes from, wins over the allow.
    iam.create_group(GroupName="blocked")
    iam.put_group_policy(GroupName="blocked", PolicyName="no", PolicyDocument=doc(deny("iam:List*")))
    iam.add_user_to_group(GroupName="blocked", UserName="bob")
    assert denied(bob.list_users).endswith("with an explicit deny in an identity-based policy")
    iam.remove_user_from_group(GroupName="blocked", UserName="bob")
    assert bob.list_users()["Users"]
    # Taking the grant away restores the denial at once.
    if way == "inline":
        iam.delete_user_policy(UserName="bob", PolicyName="grant")
    elif way == "managed":
        iam.detach_user_policy(UserName="bob", PolicyArn=arn)
    else:
        iam.remove_user_from_group(GroupName="readers", UserName="bob")
    denied(bob.list_users)


def test_aws_managed_policy_grants(iam: Any, server: RunningServer) -> None:
    bob = new_user(iam, server, "bob")
    iam.attach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert bob.list_users()["Users"]
    denied(bob.create_user, UserName="mallory")


def test_abac_on_resource_tags(iam: Any, server: RunningServer) -> None:
    alice = new_user(iam, server, "alice", tags={"team": "blue"})
    iam.create_user(UserName="blue-1", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName="red-1", Tags=[{"Key": "team", "Value": "red"}])
    iam.put_user_policy(
        UserName="alice", PolicyName="abac",
        PolicyDocument=doc(allow("iam:*", "*", Condition={
            "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})),
    )
    alice.tag_user(UserName="blue-1", Tags=[{"Key": "touched", "Value": "yes"}])
    assert alice.get_user(UserName="blue-1")["User"]["UserName"] == "blue-1"
    denied(alice.get_user, UserName="red-1")
    denied(alice.tag_user, UserName="red-1", Tags=[{"Key": "touched", "Value": "yes"}])


def test_users_manage_only_their_own_keys(iam: Any, server: RunningServer) -> None:
    self_service = doc(allow(
        ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:DeleteAccessKey", "iam:UpdateAccessKey"],
        f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}",
    ))
    arn = iam.create_policy(PolicyName="own-keys", PolicyDocument=self_service)["Policy"]["Arn"]
    alice = new_user(iam, server, "alice")
    new_user(iam, server, "carol")
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    assert len(alice.list_access_keys()["AccessKeyMetadata"]) == 1
    assert len(alice.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 1
    denied(alice.list_access_keys, UserName="carol")
    denied(alice.create_access_key, UserName="carol")


def test_boundary_limits_an_admin(iam: Any, server: RunningServer) -> None:
    bob = new_user(iam, server, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="admin", PolicyDocument=doc(allow("iam:*")))
    bob.create_user(UserName="made-before-boundary")
    iam.put_user_permissions_boundary(
        UserName="bob", PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    )
    assert bob.list_users()["Users"]
    message = denied(bob.create_user, UserName="made-after-boundary")
    assert message.endswith("because no permissions boundary allows the iam:CreateUser action")
    iam.delete_user_permissions_boundary(UserName="bob")
    bob.create_user(UserName="made-after-boundary")


def test_delegated_admin_must_set_the_boundary(iam: Any, server: RunningServer) -> None:
    """The privilege-escalation guard: a delegated admin may create users only with the
    boundary it is told to use, so it cannot mint users more powerful than allowed."""
    boundary = iam.create_policy(
        PolicyName="developer-boundary", PolicyDocument=doc(allow(["iam:Get*", "iam:List*"]))
    )["Policy"]["Arn"]
    admin = new_user(iam, server, "delegate")
    iam.put_user_policy(
        UserName="delegate", PolicyName="create-bounded-users",
        PolicyDocument=doc(
            allow("iam:CreateUser", "*", Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}}),
            allow(["iam:GetUser", "iam:ListUsers"]),
        ),
    )
    denied(admin.create_user, UserName="unbounded")
    other = iam.create_policy(PolicyName="other", PolicyDocument=doc(allow("*")))["Policy"]["Arn"]
    denied(admin.create_user, UserName="wrongly-bounded", PermissionsBoundary=other)
    created = admin.create_user(UserName="bounded", PermissionsBoundary=boundary)["User"]
    assert created["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    # Nor may it remove or change the boundary afterwards.
    denied(admin.delete_user_permissions_boundary, UserName="bounded")


def test_condition_on_request_tags(iam: Any, server: RunningServer) -> None:
    bob = new_user(iam, server, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="tagged-only", PolicyDocument=doc(
        allow(["iam:CreateUser", "iam:TagUser"], "*", Condition={
            "StringEquals": {"aws:RequestTag/cost-center": "42"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["cost-center"]},
        })))
    denied(bob.create_user, UserName="untagged")
    denied(bob.create_user, UserName="extra", Tags=[{"Key": "cost-center", "Value": "42"}, {"Key": "x", "Value": "y"}])
    bob.create_user(UserName="tagged", Tags=[{"Key": "cost-center", "Value": "42"}])


def test_soft_enforcement_logs_instead_of_denying() -> None:
    server = start_server(["--ephemeral", "--enforcement", "soft"], {"IAMD_LOG_LEVEL": "info"})
    try:
        iam = server.client("iam")
        bob = new_user(iam, server, "bob")
        assert bob.list_users()["Users"]
    finally:
        stop_server(server)
    log = "".join(server.output) + (server.process.stdout.read() if server.process.stdout else "")
    line = next(entry for entry in log.splitlines() if '"would deny"' in entry)
    record = json.loads(line)
    assert record["action"] == "iam:ListUsers"
    assert record["principal"] == f"arn:aws:iam::{ACCOUNT_ID}:user/bob"
    assert "no identity" in record["reason"] or "implicitly denied" in record["reason"]


def test_allow_users_to_change_password_grants_self_service(iam: Any, server: RunningServer) -> None:
    bob = new_user(iam, server, "bob")
    iam.create_login_profile(UserName="bob", Password="First-passw0rd!")
    iam.update_account_password_policy(MinimumPasswordLength=8, AllowUsersToChangePassword=False)
    denied(bob.change_password, OldPassword="First-passw0rd!", NewPassword="Second-passw0rd!")
    denied(bob.get_account_password_policy)
    iam.update_account_password_policy(MinimumPasswordLength=8, AllowUsersToChangePassword=True)
    bob.change_password(OldPassword="First-passw0rd!", NewPassword="Second-passw0rd!")
    assert bob.get_account_password_policy()["PasswordPolicy"]["AllowUsersToChangePassword"] is True
    # It grants nothing else.
    denied(bob.list_users)


def test_source_ip_is_the_connection_not_x_forwarded_for(iam: Any, server: RunningServer) -> None:
    bob = new_user(iam, server, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="from-office", PolicyDocument=doc(
        allow("iam:ListUsers", "*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))

    def spoof(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-For"] = "203.0.113.7"

    bob.meta.events.register("before-send.iam.ListUsers", spoof)
    denied(bob.list_users)
    iam.put_user_policy(UserName="bob", PolicyName="from-office", PolicyDocument=doc(
        allow("iam:ListUsers", "*", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})))
    assert bob.list_users()["Users"]
