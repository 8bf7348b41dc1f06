"""Property: no spelling of a protected entity turns a Deny into an Allow.

For random operations on the entities the attacker's policy denies, each named in a random
spelling (letter case of the name; partition, account-root and path of an ARN), the
request never succeeds: it is denied, or refused as naming nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.attacks.conftest import Attacker
from tests.e2e.conftest import ACCOUNT_ID

EXAMPLES = int(os.environ.get("IAMD_PROPERTY_EXAMPLES", "40"))
REFUSALS = {"AccessDenied", "NoSuchEntity", "InvalidInput", "ValidationError"}
EVERYTHING = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@st.composite
def cased(draw: st.DrawFn, name: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.swapcase() if flip else c for c, flip in zip(name, flips, strict=True))


@st.composite
def arn(draw: st.DrawFn, kind: str, name: str) -> str:
    partition = draw(st.sampled_from(["aws", "aws", "aws-cn", "aws-us-gov", "aws-iso", "awz"]))
    path = draw(st.sampled_from(["/", "/", "/x/"]))
    return f"arn:{partition}:iam::{ACCOUNT_ID}:{kind}{path}{draw(cased(name))}"


Call = tuple[str, Callable[[Attacker], Any]]


@st.composite
def attacks(draw: st.DrawFn) -> Call:
    user, group, role = draw(cased("victim")), draw(cased("admins")), draw(cased("admin"))
    policy_arn, role_arn = draw(arn("policy", "Victim")), draw(arn("role", "admin"))
    return draw(st.sampled_from([
        (f"CreateAccessKey {user}", lambda a: a.client("iam").create_access_key(UserName=user)),
        (f"PutUserPolicy {user}", lambda a: a.client("iam").put_user_policy(
            UserName=user, PolicyName="p", PolicyDocument=EVERYTHING)),
        (f"TagUser {user}", lambda a: a.client("iam").tag_user(UserName=user, Tags=[{"Key": "k", "Value": "v"}])),
        (f"AddUserToGroup {group}", lambda a: a.client("iam").add_user_to_group(GroupName=group, UserName="mallory")),
        (f"AttachRolePolicy {role}", lambda a: a.client("iam").attach_role_policy(
            RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")),
        (f"CreatePolicyVersion {policy_arn}", lambda a: a.client("iam").create_policy_version(
            PolicyArn=policy_arn, PolicyDocument=EVERYTHING, SetAsDefault=True)),
        (f"AttachUserPolicy {policy_arn}", lambda a: a.client("iam").attach_user_policy(
            UserName="mallory", PolicyArn=policy_arn)),
        (f"AssumeRole {role_arn}", lambda a: a.client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName="escape")),
    ]))


def test_no_spelling_turns_deny_into_allow(attacker: Attacker) -> None:
    if attacker.server.backend != "sqlite":
        pytest.skip("the decision does not depend on the store: the property runs on SQLite only, to keep the suite fast")

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(attacks())
    def attempt(attack: Call) -> None:
        label, call = attack
        try:
            call(attacker)
        except ClientError as exc:
            assert exc.response["Error"]["Code"] in REFUSALS, (label, exc.response["Error"])
        else:
            raise AssertionError(f"{label} succeeded past a Deny")

    attempt()
