"""Checks AWS makes beyond the operation's own resource.

- AddRoleToInstanceProfile hands the role to whoever uses the profile: it needs
  ``iam:PassRole`` on the role.
- A rename (UpdateUser/UpdateGroup with a new name or path) is authorized on the entity's
  current ARN and on its new one, so a Deny on the new name or path stops it.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.attacks.conftest import document, trust_account
from tests.e2e.conftest import ACCOUNT_ID, RunningServer
from tests.e2e.test_enforcement import denied


def _limited(iam: Any, server: RunningServer, *denies: dict[str, Any]) -> Any:
    iam.create_user(UserName="mallory")
    iam.put_user_policy(UserName="mallory", PolicyName="limits", PolicyDocument=document(
        {"Effect": "Allow", "Action": "*", "Resource": "*"}, *denies))
    key = iam.create_access_key(UserName="mallory")["AccessKey"]
    return server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


def test_add_role_to_instance_profile_needs_pass_role(iam: Any, server: RunningServer) -> None:
    iam.create_role(RoleName="admin", AssumeRolePolicyDocument=trust_account())
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust_account())
    client = _limited(iam, server, {"Effect": "Deny", "Action": "iam:PassRole",
                                    "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/admin"})
    client.create_instance_profile(InstanceProfileName="profile")
    message = denied(client.add_role_to_instance_profile, InstanceProfileName="profile", RoleName="ADMIN")
    assert "iam:PassRole" in message and f"role/admin" in message
    assert iam.get_instance_profile(InstanceProfileName="profile")["InstanceProfile"]["Roles"] == []
    client.add_role_to_instance_profile(InstanceProfileName="profile", RoleName="worker")


def test_renames_are_authorized_on_the_new_name_and_path(iam: Any, server: RunningServer) -> None:
    client = _limited(iam, server, {"Effect": "Deny", "Action": ["iam:UpdateUser", "iam:UpdateGroup"], "Resource": [
        f"arn:aws:iam::{ACCOUNT_ID}:user/admin*",
        f"arn:aws:iam::{ACCOUNT_ID}:user/privileged/*",
        f"arn:aws:iam::{ACCOUNT_ID}:group/admin*",
    ]})
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="staff")
    denied(client.update_user, UserName="bob", NewUserName="admin-bob")
    denied(client.update_user, UserName="bob", NewPath="/privileged/")
    denied(client.update_group, GroupName="staff", NewGroupName="admins")
    assert iam.get_user(UserName="bob")["User"]["Path"] == "/"
    # Renames to names no Deny covers go through, and are then authorized under the new name.
    client.update_user(UserName="bob", NewUserName="robert")
    client.update_group(GroupName="staff", NewPath="/teams/")
    assert iam.get_group(GroupName="staff")["Group"]["Path"] == "/teams/"
