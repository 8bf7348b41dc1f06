"""Trust policies name principals by unique id, as AWS stores them.

Delete user `alice`, create a new `alice`: the new user is a different principal, and a
role that trusted the old one does not trust it. GetRole then shows the old user's unique
id, as AWS does. A trust policy naming a principal that does not exist is refused."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of
from tests.e2e.test_enforcement import denied
from tests.e2e.test_sts import trust

ALICE = f"arn:aws:iam::{ACCOUNT_ID}:user/alice"


def _keys(iam: Any, server: RunningServer, name: str) -> Any:
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


def _principal(iam: Any) -> Any:
    document = iam.get_role(RoleName="alices")["Role"]["AssumeRolePolicyDocument"]
    return document["Statement"][0]["Principal"]["AWS"]


def test_a_recreated_user_is_not_the_trusted_one(iam: Any, server: RunningServer) -> None:
    old_id = iam.create_user(UserName="alice")["User"]["UserId"]
    iam.create_role(RoleName="alices", AssumeRolePolicyDocument=trust(ALICE))
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/alices"
    old = _keys(iam, server, "alice")
    assert old.assume_role(RoleArn=role_arn, RoleSessionName="ok")["AssumedRoleUser"]
    assert _principal(iam) == ALICE
    for key in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName="alice", PolicyName="p")
    iam.delete_user(UserName="alice")
    # As AWS shows it once the user is gone: the unique id.
    assert _principal(iam) == old_id
    iam.create_user(UserName="alice")
    new = _keys(iam, server, "alice")
    denied(new.assume_role, RoleArn=role_arn, RoleSessionName="impostor")
    assert _principal(iam) == old_id


def test_a_recreated_role_is_not_the_trusted_one(iam: Any, server: RunningServer) -> None:
    iam.create_role(RoleName="source", AssumeRolePolicyDocument=trust(ACCOUNT_ID))
    source_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/source"
    old_id = iam.get_role(RoleName="source")["Role"]["RoleId"]
    iam.create_role(RoleName="alices", AssumeRolePolicyDocument=trust(source_arn))
    iam.delete_role(RoleName="source")
    assert _principal(iam) == old_id
    iam.create_role(RoleName="source", AssumeRolePolicyDocument=trust(ACCOUNT_ID))
    assert _principal(iam) == old_id


def test_a_principal_that_does_not_exist_is_refused(iam: Any) -> None:
    for call, kwargs in (
        (iam.create_role, {"RoleName": "r"}),
        (iam.update_assume_role_policy, {"RoleName": "r2"}),
    ):
        if call == iam.update_assume_role_policy:
            iam.create_role(RoleName="r2", AssumeRolePolicyDocument=trust(ACCOUNT_ID))
            kwargs["PolicyDocument"] = trust(f"arn:aws:iam::{ACCOUNT_ID}:user/nobody")
        else:
            kwargs["AssumeRolePolicyDocument"] = trust(f"arn:aws:iam::{ACCOUNT_ID}:user/nobody")
        code, status, message = error_of(call, **kwargs)
        assert (code, status) == ("MalformedPolicyDocument", 400)
        assert message == f'Invalid principal in policy: "AWS":"arn:aws:iam::{ACCOUNT_ID}:user/nobody"'
    # The account and existing entities are fine.
    iam.create_user(UserName="somebody")
    iam.create_role(RoleName="ok", AssumeRolePolicyDocument=trust([ACCOUNT_ID, f"arn:aws:iam::{ACCOUNT_ID}:user/somebody"]))
