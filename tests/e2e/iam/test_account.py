"""Account aliases and GetAccountSummary through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of
from tests.e2e.iam.test_server_certificates import rsa_pair, upload

SUMMARY_KEYS = {
    "Users",
    "UsersQuota",
    "Groups",
    "GroupsQuota",
    "Roles",
    "RolesQuota",
    "Policies",
    "PoliciesQuota",
    "PolicySizeQuota",
    "PolicyVersionsInUse",
    "PolicyVersionsInUseQuota",
    "VersionsPerPolicyQuota",
    "ServerCertificates",
    "ServerCertificatesQuota",
    "InstanceProfiles",
    "InstanceProfilesQuota",
    "Providers",
    "MFADevices",
    "MFADevicesInUse",
    "AccountMFAEnabled",
    "AccountAccessKeysPresent",
    "AccountSigningCertificatesPresent",
    "AccessKeysPerUserQuota",
    "SigningCertificatesPerUserQuota",
    "GroupsPerUserQuota",
    "AttachedPoliciesPerUserQuota",
    "AttachedPoliciesPerGroupQuota",
    "AttachedPoliciesPerRoleQuota",
    "UserPolicySizeQuota",
    "GroupPolicySizeQuota",
    "RolePolicySizeQuota",
    "AssumeRolePolicySizeQuota",
    "GlobalEndpointTokenVersion",
}


def other_account(server: RunningServer) -> Any:
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status in (200, 201)
    return server.client(
        "iam",
        access_key_id=created["access_key_id"],
        secret_access_key=created["secret_access_key"],
    )


# -- aliases --------------------------------------------------------------------------


def test_no_alias_at_first(iam: Any) -> None:
    listed = iam.list_account_aliases()
    assert (listed["AccountAliases"], listed["IsTruncated"]) == ([], False)
    assert "Marker" not in listed


def test_create_list_delete_alias(iam: Any) -> None:
    iam.create_account_alias(AccountAlias="example-corp")
    listed = iam.list_account_aliases()
    assert listed["AccountAliases"] == ["example-corp"] and listed["IsTruncated"] is False
    assert iam.list_account_aliases(MaxItems=1)["AccountAliases"] == ["example-corp"]
    iam.delete_account_alias(AccountAlias="example-corp")
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_a_new_alias_replaces_the_old_one(iam: Any) -> None:
    iam.create_account_alias(AccountAlias="first-name")
    iam.create_account_alias(AccountAlias="second-name")
    assert iam.list_account_aliases()["AccountAliases"] == ["second-name"]
    # The old alias is free again, and deleting it from this account is an error.
    code, status, message = error_of(iam.delete_account_alias, AccountAlias="first-name")
    assert (code, status, message) == (
        "NoSuchEntity",
        404,
        "The account alias first-name cannot be found.",
    )


def test_alias_taken_by_this_account(iam: Any) -> None:
    iam.create_account_alias(AccountAlias="example-corp")
    code, status, message = error_of(iam.create_account_alias, AccountAlias="example-corp")
    assert (code, status, message) == (
        "EntityAlreadyExists",
        409,
        "The account alias example-corp already exists.",
    )


def test_aliases_are_unique_across_accounts(server: RunningServer, iam: Any) -> None:
    iam.create_account_alias(AccountAlias="example-corp")
    other = other_account(server)
    code, status, message = error_of(other.create_account_alias, AccountAlias="example-corp")
    assert (code, status, message) == (
        "EntityAlreadyExists",
        409,
        "The account alias example-corp already exists.",
    )
    assert other.list_account_aliases()["AccountAliases"] == []
    # Another account cannot delete this account's alias.
    assert error_of(other.delete_account_alias, AccountAlias="example-corp")[0] == "NoSuchEntity"
    assert iam.list_account_aliases()["AccountAliases"] == ["example-corp"]
    # Once released, the alias can be taken.
    iam.delete_account_alias(AccountAlias="example-corp")
    other.create_account_alias(AccountAlias="example-corp")
    assert other.list_account_aliases()["AccountAliases"] == ["example-corp"]


def test_delete_missing_alias(iam: Any) -> None:
    code, status, message = error_of(iam.delete_account_alias, AccountAlias="nothing-here")
    assert (code, status, message) == (
        "NoSuchEntity",
        404,
        "The account alias nothing-here cannot be found.",
    )


@pytest.mark.parametrize(
    "alias", ["-starts-with-hyphen", "ends-with-hyphen-", "double--hyphen", "Upper", "under_score"]
)
def test_alias_pattern(iam: Any, alias: str) -> None:
    code, status, _ = error_of(iam.create_account_alias, AccountAlias=alias)
    assert (code, status) == ("ValidationError", 400)


def test_aws_cli_alias(server: RunningServer) -> None:
    aws = [
        sys.executable,
        "-m",
        "awscli",
        "--endpoint-url",
        server.endpoint,
        "--output",
        "json",
        "iam",
    ]
    env = server.cli_env()
    subprocess.run(
        [*aws, "create-account-alias", "--account-alias", "cli-corp"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = subprocess.run(
        [*aws, "list-account-aliases"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(out.stdout)["AccountAliases"] == ["cli-corp"]
    out = subprocess.run(
        [*aws, "get-account-summary"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert set(json.loads(out.stdout)["SummaryMap"]) == SUMMARY_KEYS


# -- GetAccountSummary ----------------------------------------------------------------


def test_summary_of_a_new_account(iam: Any) -> None:
    summary = iam.get_account_summary()["SummaryMap"]
    assert set(summary) == SUMMARY_KEYS
    assert summary["Users"] == summary["Groups"] == summary["Roles"] == summary["Policies"] == 0
    assert (
        summary["ServerCertificates"]
        == summary["InstanceProfiles"]
        == summary["PolicyVersionsInUse"]
        == 0
    )
    assert summary["MFADevices"] == summary["MFADevicesInUse"] == summary["Providers"] == 0
    assert summary["AccountMFAEnabled"] == 0
    # The root user has the access key the tests sign with.
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["AccountSigningCertificatesPresent"] == 0
    assert {key: summary[key] for key in SUMMARY_KEYS if key.endswith("Quota")} == {
        "UsersQuota": 5000,
        "GroupsQuota": 300,
        "RolesQuota": 1000,
        "PoliciesQuota": 1500,
        "PolicySizeQuota": 6144,
        "PolicyVersionsInUseQuota": 10000,
        "VersionsPerPolicyQuota": 5,
        "ServerCertificatesQuota": 20,
        "InstanceProfilesQuota": 1000,
        "AccessKeysPerUserQuota": 2,
        "SigningCertificatesPerUserQuota": 2,
        "GroupsPerUserQuota": 10,
        "AttachedPoliciesPerUserQuota": 10,
        "AttachedPoliciesPerGroupQuota": 10,
        "AttachedPoliciesPerRoleQuota": 10,
        "UserPolicySizeQuota": 2048,
        "GroupPolicySizeQuota": 5120,
        "RolePolicySizeQuota": 10240,
        "AssumeRolePolicySizeQuota": 2048,
    }
    assert summary["GlobalEndpointTokenVersion"] == 1


def test_summary_counts_entities(server: RunningServer, iam: Any) -> None:
    for name in ("alice", "bob", "carol"):
        iam.create_user(UserName=name)
    iam.create_group(GroupName="admins")
    upload(iam, "web")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust)
    iam.create_instance_profile(InstanceProfileName="app")
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    arn = iam.create_policy(PolicyName="s3", PolicyDocument=document)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    iam.attach_role_policy(RoleName="app", PolicyArn=arn)
    iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    summary = iam.get_account_summary()["SummaryMap"]
    counted = (
        "Users",
        "Groups",
        "Roles",
        "Policies",
        "InstanceProfiles",
        "ServerCertificates",
        "PolicyVersionsInUse",
    )
    assert {key: summary[key] for key in counted} == {
        "Users": 3,
        "Groups": 1,
        "Roles": 1,
        "Policies": 1,
        "InstanceProfiles": 1,
        "ServerCertificates": 1,
        "PolicyVersionsInUse": 3,
    }
    assert summary["AccountSigningCertificatesPresent"] == 0
    iam.delete_user(UserName="bob")
    # A signing certificate of the root user (no UserName) counts as the account's.
    iam.upload_signing_certificate(CertificateBody=rsa_pair()[0])
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["Users"], summary["AccountSigningCertificatesPresent"]) == (2, 1)
    # Another account's entities are not counted.
    other_summary = other_account(server).get_account_summary()["SummaryMap"]
    assert {key: other_summary[key] for key in counted} == dict.fromkeys(counted, 0)


def test_summary_counts_mfa_devices(iam: Any) -> None:
    from tests.e2e.iam.test_mfa import code, create_device, enable_device, step_now

    iam.create_user(UserName="alice")
    create_device(iam, "spare")
    enable_device(iam, "alice")
    summary = iam.get_account_summary()["SummaryMap"]
    # Every device of the account counts; only the assigned one is in use.
    assert (summary["MFADevices"], summary["MFADevicesInUse"], summary["AccountMFAEnabled"]) == (2, 1, 0)
    # The root user's device makes the account MFA-enabled.
    serial, seed = create_device(iam, "root-account-mfa-device")
    step = step_now()
    iam.enable_mfa_device(UserName=ACCOUNT_ID, SerialNumber=serial,
                          AuthenticationCode1=code(seed, step - 1), AuthenticationCode2=code(seed, step))
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"], summary["AccountMFAEnabled"]) == (3, 2, 1)
