"""A policy that cannot be found denies; it never widens a session.

A role session narrowed by a managed session policy (PolicyArns) must not regain the role's
full permissions when that policy is deleted, nor gain anything when it is re-created."""

from __future__ import annotations

from typing import Any

from tests.e2e.attacks.conftest import document, trust_account
from tests.e2e.conftest import ACCOUNT_ID, RunningServer
from tests.e2e.test_enforcement import denied
from tests.e2e.test_sts import session_client, user_sts

EVERYTHING = document({"Effect": "Allow", "Action": "*", "Resource": "*"})


def test_deleted_session_policy_denies_everything(iam: Any, server: RunningServer) -> None:
    iam.create_role(RoleName="broad", AssumeRolePolicyDocument=trust_account())
    iam.put_role_policy(RoleName="broad", PolicyName="all", PolicyDocument=EVERYTHING)
    narrow = iam.create_policy(PolicyName="narrow", PolicyDocument=document(
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}))["Policy"]["Arn"]
    sts = user_sts(server, iam, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=EVERYTHING)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/broad", RoleSessionName="narrowed",
                                  PolicyArns=[{"arn": narrow}])["Credentials"]
    session = session_client(server, credentials)
    assert session.list_users()["Users"]
    denied(session.list_roles)
    iam.delete_policy(PolicyArn=narrow)
    # The session policy is gone: the session may do nothing, not everything the role may.
    denied(session.list_users)
    denied(session.list_roles)
    denied(session.create_user, UserName="escalated")
