"""A limited user, and the victims its policy protects with explicit Deny statements."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT_ID, RunningServer

PROTECTED = [
    f"arn:aws:iam::{ACCOUNT_ID}:user/victim",
    f"arn:aws:iam::{ACCOUNT_ID}:group/admins",
    f"arn:aws:iam::{ACCOUNT_ID}:role/admin",
    f"arn:aws:iam::{ACCOUNT_ID}:policy/Victim",
]


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_account() -> str:
    return document({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                     "Action": "sts:AssumeRole"})


class Attacker:
    def __init__(self, server: RunningServer, key: dict[str, str]) -> None:
        self.server = server
        self.key = key

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return self.server.client(service, access_key_id=self.key["AccessKeyId"],
                                  secret_access_key=self.key["SecretAccessKey"], region=region)


@pytest.fixture
def attacker(iam: Any, server: RunningServer) -> Attacker:
    """User ``mallory``: allowed everything but denied every action on the protected
    entities (spelled as they are stored)."""
    iam.create_user(UserName="victim")
    iam.create_group(GroupName="admins")
    iam.create_role(RoleName="admin", AssumeRolePolicyDocument=trust_account())
    iam.create_policy(PolicyName="Victim", PolicyDocument=document(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    iam.create_user(UserName="mallory")
    iam.put_user_policy(UserName="mallory", PolicyName="limits", PolicyDocument=document(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": PROTECTED},
        {"Effect": "Deny", "Action": "iam:Attach*Policy", "Resource": "*",
         "Condition": {"ArnEquals": {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT_ID}:policy/Victim"}}},
    ))
    return Attacker(server, iam.create_access_key(UserName="mallory")["AccessKey"])
