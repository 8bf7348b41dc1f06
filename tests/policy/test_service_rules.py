from __future__ import annotations

import pytest

from iamd.policy import Request, evaluate
from iamd.policy.service_rules import always_allowed, never_allowed, requires_resource_policy

from .helpers import ACCOUNT, USER, allow, deny, doc, stmt

KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/target"


def run(action: str, resource: str, **policies: object) -> str:
    return evaluate(Request(action, resource, USER, {}, ACCOUNT), **policies).effect  # type: ignore[arg-type]


def test_get_caller_identity_cannot_be_denied() -> None:
    assert run("sts:GetCallerIdentity", "*") == "Allow"
    assert run("sts:GetCallerIdentity", "*", identity_policies=[deny("*")]) == "Allow"
    assert always_allowed("sts:getcalleridentity")
    d = evaluate(Request("sts:GetCallerIdentity", "*", USER))
    assert d.trace.service_rule is not None


@pytest.mark.parametrize(
    ("key_policy", "identity", "expected"),
    [
        (None, True, "ImplicitDeny"),
        ({"AWS": USER}, False, "Allow"),
        ({"AWS": ACCOUNT}, False, "ImplicitDeny"),
        ({"AWS": ACCOUNT}, True, "Allow"),
    ],
)
def test_kms_key_policy_must_trust(key_policy: object, identity: bool, expected: str) -> None:
    rp = doc(stmt(action="kms:*", Principal=key_policy)) if key_policy else None
    ids = [allow("kms:*")] if identity else []
    assert run("kms:Decrypt", KEY, identity_policies=ids, resource_policy=rp) == expected
    assert requires_resource_policy("kms:decrypt", KEY)


def test_kms_wildcard_actions_need_no_key_policy() -> None:
    assert run("kms:ListKeys", "*", identity_policies=[allow("kms:*")]) == "Allow"


def test_assume_role_needs_trust_policy() -> None:
    assert run("sts:AssumeRole", ROLE, identity_policies=[allow("sts:AssumeRole")]) == "ImplicitDeny"
    trust = doc(stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": USER}))
    assert run("sts:AssumeRole", ROLE, resource_policy=trust) == "Allow"


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("iam:DeletePolicy", "arn:aws:iam::aws:policy/AdministratorAccess", "ImplicitDeny"),
        ("iam:GetPolicy", "arn:aws:iam::aws:policy/AdministratorAccess", "Allow"),
        ("iam:DeletePolicy", f"arn:aws:iam::{ACCOUNT}:policy/Mine", "Allow"),
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/R",
         "ImplicitDeny"),
        ("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/R", "Allow"),
        ("kms:DeleteAlias", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/s3", "ImplicitDeny"),
        ("kms:DeleteAlias", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/mine", "Allow"),
    ],
)
def test_protected_resources(action: str, resource: str, expected: str) -> None:
    assert run(action, resource, identity_policies=[allow("*")]) == expected


def test_protected_resources_still_explicitly_denied() -> None:
    alias = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/s3"
    assert run("kms:DeleteAlias", alias, identity_policies=[deny("kms:*")]) == "ExplicitDeny"
    assert never_allowed("kms:deletealias", alias)


def test_rules_can_be_turned_off() -> None:
    d = evaluate(Request("sts:GetCallerIdentity", "*", USER), service_rules=False)
    assert d.effect == "ImplicitDeny"
