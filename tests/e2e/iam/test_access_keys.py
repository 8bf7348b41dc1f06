"""Access keys through boto3 and the AWS CLI: create, (de)activate, delete, last use."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of


def test_create_access_key_for_a_user(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["UserName"] == "alice" and key["Status"] == "Active"
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40
    sts = server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert listed == [{"UserName": "alice", "AccessKeyId": key["AccessKeyId"], "Status": "Active",
                       "CreateDate": key["CreateDate"]}]
    assert "SecretAccessKey" not in listed[0]


def test_access_keys_per_user_quota(iam: Any) -> None:
    iam.create_user(UserName="alice")
    first = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    iam.create_access_key(UserName="alice")
    assert error_of(iam.create_access_key, UserName="alice") == (
        "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2"
    )
    iam.delete_access_key(UserName="alice", AccessKeyId=first)
    iam.create_access_key(UserName="alice")


def test_create_access_key_errors(iam: Any) -> None:
    assert error_of(iam.create_access_key, UserName="ghost") == (
        "NoSuchEntity", 404, "The user with name ghost cannot be found."
    )


def test_root_access_keys(server: RunningServer, iam: Any) -> None:
    root_keys = iam.list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in root_keys] == [server.access_key_id]
    assert "UserName" not in root_keys[0]
    created = iam.create_access_key()["AccessKey"]
    assert "UserName" not in created
    sts = server.client("sts", access_key_id=created["AccessKeyId"], secret_access_key=created["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert error_of(iam.create_access_key) == ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    iam.delete_access_key(AccessKeyId=created["AccessKeyId"])
    assert [k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]] == [server.access_key_id]


def test_a_user_manages_its_own_keys(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="alice")
    allow_iam = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="alice", PolicyName="iam-admin", PolicyDocument=json.dumps(allow_iam))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    own = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    second = own.create_access_key()["AccessKey"]
    assert second["UserName"] == "alice"
    assert {k["AccessKeyId"] for k in own.list_access_keys()["AccessKeyMetadata"]} == {
        key["AccessKeyId"], second["AccessKeyId"]
    }


def test_update_access_key_takes_effect_at_once(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    sts = server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Account"] == ACCOUNT_ID  # now cached by the authenticator
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    assert error_of(sts.get_caller_identity) == (
        "InvalidClientTokenId", 403, "The security token included in the request is invalid."
    )
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Account"] == ACCOUNT_ID
    iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    assert error_of(sts.get_caller_identity)[0] == "InvalidClientTokenId"


def test_update_and_delete_errors(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    key_id = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    missing = "AKIAIOSFODNN7EXAMPLE"
    for call, extra in [(iam.update_access_key, {"Status": "Inactive"}), (iam.delete_access_key, {})]:
        assert error_of(call, UserName="alice", AccessKeyId=missing, **extra) == (
            "NoSuchEntity", 404, f"The Access Key with id {missing} cannot be found."
        )
        # Another user's key, or the root's, is not found under this user.
        assert error_of(call, UserName="bob", AccessKeyId=key_id, **extra)[:2] == ("NoSuchEntity", 404)
        assert error_of(call, UserName="bob", AccessKeyId=server.access_key_id, **extra)[0] == "NoSuchEntity"
        assert error_of(call, AccessKeyId=key_id, **extra)[0] == "NoSuchEntity"  # root's own keys only
        assert error_of(call, UserName="ghost", AccessKeyId=key_id, **extra) == (
            "NoSuchEntity", 404, "The user with name ghost cannot be found."
        )
    assert error_of(iam.update_access_key, UserName="alice", AccessKeyId=key_id, Status="Expired")[:2] == (
        "InvalidInput", 400
    )
    assert error_of(iam.update_access_key, UserName="alice", AccessKeyId=key_id, Status="Sleeping")[0] == (
        "ValidationError"
    )
    assert error_of(iam.list_access_keys, UserName="ghost")[:2] == ("NoSuchEntity", 404)


def test_list_access_keys_pages(iam: Any) -> None:
    iam.create_user(UserName="alice")
    ids = [iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"] for _ in range(2)]
    first = iam.list_access_keys(UserName="alice", MaxItems=1)
    assert first["IsTruncated"] is True
    second = iam.list_access_keys(UserName="alice", MaxItems=1, Marker=first["Marker"])
    assert second["IsTruncated"] is False
    got = [k["AccessKeyId"] for k in first["AccessKeyMetadata"] + second["AccessKeyMetadata"]]
    assert sorted(got) == sorted(ids)


def test_get_access_key_last_used_never_used(iam: Any) -> None:
    iam.create_user(UserName="alice")
    key_id = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    got = iam.get_access_key_last_used(AccessKeyId=key_id)
    assert got["UserName"] == "alice"
    assert got["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}


def test_get_access_key_last_used_errors(server: RunningServer, iam: Any) -> None:
    missing = "AKIAIOSFODNN7EXAMPLE"
    assert error_of(iam.get_access_key_last_used, AccessKeyId=missing) == (
        "NoSuchEntity", 404, f"The Access Key with id {missing} cannot be found."
    )
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    other = server.client("iam", access_key_id=created["access_key_id"], secret_access_key=created["secret_access_key"])
    assert error_of(other.get_access_key_last_used, AccessKeyId=server.access_key_id)[0] == "NoSuchEntity"
    assert error_of(other.delete_access_key, AccessKeyId=server.access_key_id)[0] == "NoSuchEntity"


def test_aws_cli(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="cli-user")
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "create-access-key", "--user-name", "cli-user", "--output", "json"],
        env=server.cli_env(), capture_output=True, text=True, timeout=60, check=True,
    )
    key = json.loads(out.stdout)["AccessKey"]
    assert key["UserName"] == "cli-user" and key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40
    listed = iam.list_access_keys(UserName="cli-user")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
