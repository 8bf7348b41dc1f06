"""An account lives in one partition. An ARN of another partition (or any other word) names
nothing there, and credentials do not work in another partition's regions: neither may
turn the resource ARNs a request is authorized on into ones that Deny statements miss."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.attacks.conftest import Attacker
from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of

OTHER_PARTITIONS = ["aws-cn", "aws-us-gov", "whatever"]


@pytest.mark.parametrize("partition", OTHER_PARTITIONS)
def test_policy_arns_of_another_partition(attacker: Attacker, iam: Any, partition: str) -> None:
    client = attacker.client("iam")
    arn = f"arn:{partition}:iam::{ACCOUNT_ID}:policy/Victim"
    code, status, _ = error_of(client.create_policy_version, PolicyArn=arn, PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'))
    assert (code, status) == ("InvalidInput", 400)
    code, _, _ = error_of(client.attach_user_policy, UserName="mallory",
                          PolicyArn=f"arn:{partition}:iam::aws:policy/AdministratorAccess")
    assert code == "InvalidInput"
    assert iam.list_attached_user_policies(UserName="mallory")["AttachedPolicies"] == []


@pytest.mark.parametrize("partition", OTHER_PARTITIONS)
def test_role_arns_of_another_partition(attacker: Attacker, partition: str) -> None:
    code, _, _ = error_of(attacker.client("sts").assume_role, RoleArn=f"arn:{partition}:iam::{ACCOUNT_ID}:role/admin",
                          RoleSessionName="escape")
    # A partition that is no AWS partition is not even an ARN of a role.
    assert code == ("ValidationError" if partition == "whatever" else "AccessDenied")
    # Nor does the stored spelling help when the role does not trust the caller's partition.
    assert error_of(attacker.client("sts").assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/admin",
                    RoleSessionName="stored")[0] == "AccessDenied"


@pytest.mark.parametrize("region", ["cn-north-1", "us-gov-west-1"])
def test_signing_for_another_partitions_region(attacker: Attacker, server: RunningServer, region: str) -> None:
    for client in (attacker.client("iam", region=region), server.client("sts", region=region)):
        with pytest.raises(ClientError) as info:
            client.create_access_key(UserName="victim") if client.meta.service_model.service_name == "iam" \
                else client.get_caller_identity()
        assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_an_account_in_another_partition(server: RunningServer) -> None:
    status, created = server.admin("POST", "/_iamd/accounts", {"partition": "aws-cn"})
    assert status == 201
    keys = {"access_key_id": created["access_key_id"], "secret_access_key": created["secret_access_key"]}
    sts = server.client("sts", region="cn-north-1", **keys)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws-cn:iam::{created['account_id']}:root"
    iam = server.client("iam", region="cn-north-1", **keys)
    assert iam.create_user(UserName="u")["User"]["Arn"].startswith("arn:aws-cn:iam::")
    assert error_of(server.client("sts", **keys).get_caller_identity)[0] == "InvalidClientTokenId"
    # Its policies are named in its own partition only.
    arn = iam.create_policy(PolicyName="p", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    ))["Policy"]["Arn"]
    assert arn.startswith("arn:aws-cn:iam::")
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="u")["AttachedPolicies"]] == [arn]
    assert error_of(iam.attach_user_policy, UserName="u", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")[0] \
        == "InvalidInput"


@pytest.mark.parametrize("partition", OTHER_PARTITIONS)
def test_the_root_user_is_refused_another_partitions_arns_too(iam: Any, partition: str) -> None:
    # The root user's requests look nothing up, but a spelling that names nothing is
    # refused as malformed for the root user as for anyone.
    iam.create_user(UserName="rooted")
    try:
        code, status, _ = error_of(iam.attach_user_policy, UserName="rooted",
                                   PolicyArn=f"arn:{partition}:iam::aws:policy/AdministratorAccess")
        assert (code, status) == ("InvalidInput", 400)
        code, _, _ = error_of(iam.get_policy, PolicyArn=f"arn:{partition}:iam::{ACCOUNT_ID}:policy/Any")
        assert code == "InvalidInput"
        assert iam.list_attached_user_policies(UserName="rooted")["AttachedPolicies"] == []
    finally:
        iam.delete_user(UserName="rooted")
