"""Names are unique whatever their case, so a name spelled in another case names the same
entity, and a Deny on that entity's ARN must stop it. Before, authorization used the
request's spelling (`UserName=VICTIM`) while the lookup found `victim`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.attacks.conftest import Attacker
from tests.e2e.conftest import ACCOUNT_ID
from tests.e2e.test_enforcement import denied

SPELLINGS = ["VICTIM", "Victim", "vIcTiM"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_user_names(attacker: Attacker, iam: Any, spelling: str) -> None:
    client = attacker.client("iam")
    denied(client.create_access_key, UserName=spelling)
    denied(client.attach_user_policy, UserName=spelling, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    denied(client.put_user_policy, UserName=spelling, PolicyName="p", PolicyDocument='{"Version":"2012-10-17","Statement":[]}')
    denied(client.delete_user, UserName=spelling)
    assert iam.list_access_keys(UserName="victim")["AccessKeyMetadata"] == []
    assert iam.list_attached_user_policies(UserName="victim")["AttachedPolicies"] == []


@pytest.mark.parametrize("spelling", ["ADMINS", "Admins"])
def test_group_names(attacker: Attacker, iam: Any, spelling: str) -> None:
    client = attacker.client("iam")
    denied(client.add_user_to_group, GroupName=spelling, UserName="mallory")
    denied(client.attach_group_policy, GroupName=spelling, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert iam.get_group(GroupName="admins")["Users"] == []


@pytest.mark.parametrize("spelling", ["ADMIN", "Admin"])
def test_role_names(attacker: Attacker, iam: Any, spelling: str) -> None:
    client = attacker.client("iam")
    before = iam.get_role(RoleName="admin")["Role"]["AssumeRolePolicyDocument"]
    denied(client.update_assume_role_policy, RoleName=spelling, PolicyDocument=json.dumps(before))
    denied(client.attach_role_policy, RoleName=spelling, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    denied(attacker.client("sts").assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{spelling}",
           RoleSessionName="escape")


@pytest.mark.parametrize("spelling", ["VICTIM", "victim"])
def test_policy_names(attacker: Attacker, iam: Any, spelling: str) -> None:
    client = attacker.client("iam")
    arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/{spelling}"
    denied(client.create_policy_version, PolicyArn=arn, SetAsDefault=True,
           PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
    denied(client.delete_policy, PolicyArn=arn)
    # AttachUserPolicy acts on the user; the policy is its iam:PolicyARN key, which a
    # Deny condition names as stored.
    denied(client.attach_user_policy, UserName="mallory", PolicyArn=arn)
    assert iam.list_attached_user_policies(UserName="mallory")["AttachedPolicies"] == []
    assert len(iam.list_policy_versions(PolicyArn=f"arn:aws:iam::{ACCOUNT_ID}:policy/Victim")["Versions"]) == 1


def test_the_stored_spelling_is_allowed_where_the_policy_allows(attacker: Attacker, iam: Any) -> None:
    # Another user, not protected, can be managed in any spelling.
    iam.create_user(UserName="helper")
    key = attacker.client("iam").create_access_key(UserName="HELPER")["AccessKey"]
    assert key["UserName"] == "helper"
