"""The AWS policy evaluation logic, rule by rule, plus the IAM User Guide's examples."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.policy import PolicySet, Request, evaluate, parse

from .helpers import (
    ACCOUNT,
    BUCKET,
    OBJECT,
    OTHER,
    OTHER_USER,
    ROLE,
    ROOT,
    SESSION,
    USER,
    allow,
    deny,
    doc,
    stmt,
)

A = "Allow"
E = "ExplicitDeny"
I = "ImplicitDeny"

ALL = allow("*", "*")


def rp(principal: Any, effect: str = "Allow", action: Any = "s3:GetObject",
       resource: Any = OBJECT, **extra: Any) -> dict[str, Any]:
    return doc(stmt(effect, action, resource, Principal=principal, **extra))


def run(principal: str = USER, action: str = "s3:GetObject", resource: str = OBJECT,
        context: dict[str, Any] | None = None, resource_account: str | None = ACCOUNT,
        **policies: Any) -> str:
    request = Request(action, resource, principal, context or {}, resource_account)
    return evaluate(request, **policies).effect


CASES: list[tuple[str, dict[str, Any], str]] = [
    # Defaults and explicit deny.
    ("no policies deny", {}, I),
    ("identity allow", {"identity_policies": [allow()]}, A),
    ("identity allow other action", {"identity_policies": [allow("s3:PutObject")]}, I),
    ("deny beats allow in one policy",
     {"identity_policies": [doc(stmt(), stmt("Deny"))]}, E),
    ("deny in another policy", {"identity_policies": [allow(), deny()]}, E),
    ("deny in resource policy", {"identity_policies": [allow()],
                                 "resource_policy": rp("*", "Deny")}, E),
    ("deny in boundary", {"identity_policies": [allow()],
                          "permissions_boundary": doc(stmt(action="*"), stmt("Deny"))}, E),
    ("NotAction allow", {"identity_policies": [allow(None, NotAction="iam:*")]}, A),
    ("NotAction excludes", {"identity_policies": [allow(None, NotAction="s3:*")]}, I),
    ("NotResource allow", {"identity_policies": [allow(resource=None, NotResource=BUCKET)]}, A),
    ("NotResource excludes",
     {"identity_policies": [allow(resource=None, NotResource="arn:aws:s3:::bucket/*")]}, I),
    ("deny with NotAction",
     {"identity_policies": [ALL, deny(None, NotAction="iam:*")]}, E),
    # Boundaries and session policies intersect with identity policies.
    ("boundary allows", {"identity_policies": [allow()], "permissions_boundary": allow("s3:*")},
     A),
    ("boundary does not allow", {"identity_policies": [allow()],
                                 "permissions_boundary": allow("ec2:*")}, I),
    ("boundary alone grants nothing", {"permissions_boundary": ALL}, I),
    ("session policy allows", {"identity_policies": [allow()], "session_policies": [ALL]}, A),
    ("session policy does not allow", {"identity_policies": [allow()],
                                       "session_policies": [allow("ec2:*")]}, I),
    ("any of several session policies", {"identity_policies": [allow()],
                                         "session_policies": [allow("ec2:*"), allow("s3:*")]}, A),
    ("session policy alone grants nothing", {"session_policies": [ALL]}, I),
    # Same-account resource-based policies.
    ("resource policy names user", {"resource_policy": rp({"AWS": USER})}, A),
    ("resource policy star", {"resource_policy": rp("*")}, A),
    ("resource policy names account only", {"resource_policy": rp(ACCOUNT)}, I),
    ("resource policy names account, identity allows",
     {"resource_policy": rp({"AWS": ROOT}), "identity_policies": [allow()]}, A),
    ("resource policy names user despite boundary",
     {"resource_policy": rp({"AWS": USER}), "permissions_boundary": allow("ec2:*")}, A),
    ("resource policy names another user", {"resource_policy": rp({"AWS": OTHER_USER})}, I),
    ("resource policy other action", {"resource_policy": rp("*", action="s3:PutObject")}, I),
    ("NotPrincipal allow names someone else",
     {"resource_policy": doc(stmt(NotPrincipal={"AWS": OTHER_USER}, resource=OBJECT))}, A),
    ("NotPrincipal allow names the caller",
     {"resource_policy": doc(stmt(NotPrincipal={"AWS": USER}, resource=OBJECT))}, I),
    ("NotPrincipal deny spares the named caller",
     {"identity_policies": [allow()],
      "resource_policy": doc(stmt("Deny", NotPrincipal={"AWS": USER}, resource=OBJECT))}, A),
    ("NotPrincipal deny always applies with a boundary",
     {"identity_policies": [allow()], "permissions_boundary": ALL,
      "resource_policy": doc(stmt("Deny", NotPrincipal={"AWS": USER}, resource=OBJECT))}, E),
    # SCPs and RCPs.
    ("scp allows", {"identity_policies": [allow()], "service_control_policies": [[ALL]]}, A),
    ("scp level without allow", {"identity_policies": [allow()],
                                 "service_control_policies": [[ALL], [allow("ec2:*")]]}, I),
    ("scp deny", {"identity_policies": [allow()],
                  "service_control_policies": [[ALL, deny()]]}, E),
    ("scp alone grants nothing", {"service_control_policies": [[ALL]]}, I),
    ("scp limits resource policy grants", {"resource_policy": rp({"AWS": USER}),
                                           "service_control_policies": [[allow("ec2:*")]]}, I),
    ("rcp allows", {"identity_policies": [allow()],
                    "resource_control_policies": [[rp("*", action="*", resource="*")]]}, A),
    ("rcp deny", {"identity_policies": [allow()],
                  "resource_control_policies": [[rp("*", action="*", resource="*"),
                                                 rp("*", "Deny")]]}, E),
    ("rcp without allow", {"identity_policies": [allow()],
                           "resource_control_policies": [[rp("*", action="ec2:*",
                                                             resource="*")]]}, I),
    ("levels as mappings", {"identity_policies": [allow()], "service_control_policies": [
        {"target": "r-root", "policies": [ALL]}, {"target": "ou-1", "policies": [allow()]}]}, A),
    # VPC endpoint policies.
    ("endpoint allows", {"identity_policies": [allow()], "endpoint_policies": [allow()]}, A),
    ("endpoint does not allow", {"identity_policies": [allow()],
                                 "endpoint_policies": [allow("ec2:*")]}, I),
    ("endpoint denies", {"identity_policies": [allow()], "endpoint_policies": [ALL, deny()]}, E),
]


@pytest.mark.parametrize(("policies", "expected"),
                         [pytest.param(p, e, id=i) for i, p, e in CASES])
def test_same_account_user(policies: dict[str, Any], expected: str) -> None:
    assert run(**policies) == expected


ROLE_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("grant to session ARN is not limited by boundary", SESSION,
     {"resource_policy": rp({"AWS": SESSION}), "permissions_boundary": allow("ec2:*")}, A),
    ("grant to session ARN is not limited by session policy", SESSION,
     {"resource_policy": rp({"AWS": SESSION}), "session_policies": [allow("ec2:*")]}, A),
    ("grant to role ARN is limited by boundary", SESSION,
     {"resource_policy": rp({"AWS": ROLE}), "permissions_boundary": allow("ec2:*")}, I),
    ("grant to role ARN is limited by session policy", SESSION,
     {"resource_policy": rp({"AWS": ROLE}), "session_policies": [allow("ec2:*")]}, I),
    ("grant to role ARN within session policy", SESSION,
     {"resource_policy": rp({"AWS": ROLE}), "session_policies": [ALL]}, A),
    ("grant to role ARN, no limits", SESSION, {"resource_policy": rp({"AWS": ROLE})}, A),
    ("grant to role ARN for the role itself", ROLE,
     {"resource_policy": rp({"AWS": ROLE}), "permissions_boundary": allow("ec2:*")}, I),
    ("root needs no identity policy", ROOT, {}, A),
    ("root still bound by SCPs", ROOT, {"service_control_policies": [[allow("ec2:*")]]}, I),
    ("root still explicitly denied", ROOT, {"resource_policy": rp("*", "Deny")}, E),
]


@pytest.mark.parametrize(("principal", "policies", "expected"),
                         [pytest.param(pr, p, e, id=i) for i, pr, p, e in ROLE_CASES])
def test_roles_sessions_root(principal: str, policies: dict[str, Any], expected: str) -> None:
    assert run(principal, **policies) == expected


CROSS: list[tuple[str, str, dict[str, Any], str]] = [
    ("identity only", OTHER_USER, {"identity_policies": [allow()]}, I),
    ("resource only", OTHER_USER, {"resource_policy": rp({"AWS": OTHER_USER})}, I),
    ("both", OTHER_USER, {"identity_policies": [allow()],
                          "resource_policy": rp({"AWS": OTHER_USER})}, A),
    ("account grant and identity", OTHER_USER, {"identity_policies": [allow()],
                                                "resource_policy": rp(OTHER)}, A),
    ("boundary limits cross-account", OTHER_USER,
     {"identity_policies": [allow()], "resource_policy": rp({"AWS": OTHER_USER}),
      "permissions_boundary": allow("ec2:*")}, I),
    ("other account's root", f"arn:aws:iam::{OTHER}:root", {"resource_policy": rp(OTHER)}, A),
    ("anonymous with public policy", "anonymous", {"resource_policy": rp("*")}, A),
    ("anonymous with account policy", "anonymous", {"resource_policy": rp(ACCOUNT)}, I),
    ("anonymous ignores identity policies", "anonymous", {"identity_policies": [ALL]}, I),
    ("anonymous ignores SCPs", "anonymous", {"resource_policy": rp("*"),
                                             "service_control_policies": [[deny()]]}, A),
    ("anonymous bound by RCPs", "anonymous",
     {"resource_policy": rp("*"), "resource_control_policies": [[rp("*", "Deny")]]}, E),
    ("service principal", "cloudtrail.amazonaws.com",
     {"resource_policy": rp({"Service": "cloudtrail.amazonaws.com"})}, A),
    ("service principal without resource policy", "cloudtrail.amazonaws.com",
     {"identity_policies": [ALL]}, I),
]


@pytest.mark.parametrize(("principal", "policies", "expected"),
                         [pytest.param(pr, p, e, id=i) for i, pr, p, e in CROSS])
def test_cross_account_anonymous_service(principal: str, policies: dict[str, Any],
                                         expected: str) -> None:
    assert run(principal, **policies) == expected


def test_resource_account_defaults() -> None:
    key = f"arn:aws:kms:us-east-1:{OTHER}:key/1"
    # From the ARN: a key in another account needs the key policy.
    assert run(USER, "kms:Decrypt", key, resource_account=None,
               identity_policies=[allow("kms:*")]) == I
    # Else from the principal: "*" resources are in the caller's account.
    assert run(USER, "s3:ListAllMyBuckets", "*", resource_account=None,
               identity_policies=[allow("s3:*")]) == A


# ---- The IAM User Guide's examples -------------------------------------------------

CARLOS = "arn:aws:iam::123456789012:user/carlossalazar"
CARLOS_POLICY = doc(
    stmt(action=["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock",
                 "s3:ListAccessPoints", "s3:ListAllMyBuckets"],
         resource="arn:aws:s3:::*", Sid="AllowS3ListRead"),
    stmt(action="s3:*", resource=["arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*",
                                  "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar"],
         Sid="AllowS3Self"),
    stmt("Deny", "s3:*", "arn:aws:s3:::*log*", Sid="DenyS3Logs"),
)
LOGS_BUCKET_POLICY = doc(stmt(
    action="s3:*", resource="arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*",
    Principal={"AWS": CARLOS}))


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/f", E),
        ("s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/f", A),
        ("s3:GetBucketLocation", "arn:aws:s3:::some-bucket", A),
        ("s3:GetObject", "arn:aws:s3:::some-bucket/f", I),
    ],
)
def test_guide_carlos(action: str, resource: str, expected: str) -> None:
    """Identity + resource policy example: DenyS3Logs wins over the bucket policy."""
    decision = evaluate(Request(action, resource, CARLOS, {}, "123456789012"),
                        identity_policies=[CARLOS_POLICY], resource_policy=LOGS_BUCKET_POLICY)
    assert decision.effect == expected
    if expected == E:
        assert decision.matched_statements[0].sid == "DenyS3Logs"


def test_guide_boundary_example() -> None:
    """Boundary example: ShirleyRodriguez may only manage S3, CloudWatch and EC2."""
    shirley = "arn:aws:iam::123456789012:user/ShirleyRodriguez"
    boundary = allow(["s3:*", "cloudwatch:*", "ec2:*"], "*")
    identity = allow("iam:CreateUser", "*")
    d = evaluate(Request("iam:CreateUser", "arn:aws:iam::123456789012:user/x", shirley),
                 identity_policies=[identity], permissions_boundary=boundary)
    assert d.effect == I
    assert "permissions boundary does not" in d.explain()


def test_guide_cross_account_bucket() -> None:
    """Cross-account: account 444455556666's user reads a bucket of 111122223333 only when
    both its identity policy and the bucket policy allow it."""
    bucket = rp({"AWS": f"arn:aws:iam::{OTHER}:root"}, action=["s3:GetObject", "s3:ListBucket"],
                resource=[BUCKET, "arn:aws:s3:::bucket/*"])
    assert run(OTHER_USER, resource_policy=bucket, identity_policies=[allow()]) == A
    assert run(OTHER_USER, resource_policy=bucket) == I
    assert run(OTHER_USER, resource_policy=bucket, identity_policies=[allow("s3:ListBucket")]) == I


def test_guide_mfa_condition() -> None:
    policy = doc(stmt(action="*", resource="*"),
                 stmt("Deny", "*", "*", Sid="DenyNoMFA",
                      Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))
    assert run(identity_policies=[policy], context={"aws:MultiFactorAuthPresent": True}) == A
    assert run(identity_policies=[policy], context={"aws:MultiFactorAuthPresent": False}) == E
    assert run(identity_policies=[policy]) == E  # absent key: IfExists applies the deny


def test_policy_variables_in_resources() -> None:
    policy = allow("s3:*", "arn:aws:s3:::bucket/home/${aws:username}/*")
    ctx = {"aws:username": "alice"}
    assert run(resource="arn:aws:s3:::bucket/home/alice/x", context=ctx,
               identity_policies=[policy]) == A
    assert run(resource="arn:aws:s3:::bucket/home/bob/x", context=ctx,
               identity_policies=[policy]) == I
    assert run(resource="arn:aws:s3:::bucket/home/alice/x", identity_policies=[policy]) == I


def test_unknown_condition_value_fails_closed() -> None:
    cond = {"NumericNotEquals": {"test:n": "5"}}
    assert run(identity_policies=[allow(Condition=cond)], context={"test:n": "x"}) == I
    assert run(identity_policies=[ALL, deny(Condition=cond)], context={"test:n": "x"}) == E


def test_policy_set_memo() -> None:
    ps = PolicySet([allow()])
    req = Request("s3:GetObject", OBJECT, USER, {"aws:TagKeys": ["a"]}, ACCOUNT)
    first = ps.evaluate(req, memo=True)
    assert ps.evaluate(req, memo=True) is first
    assert ps.evaluate(req).effect == first.effect == A
    other = Request("s3:PutObject", OBJECT, USER, {}, ACCOUNT)
    assert ps.evaluate(other, memo=True).effect == I
    small = PolicySet([allow()], memo_size=1)
    small.evaluate(req, memo=True)
    small.evaluate(other, memo=True)
    assert len(small._memo) == 1


def test_named_policies_and_parsed_policies() -> None:
    from iamd.policy import parse

    named = parse('{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*",'
                  '"Resource":"*","Sid":"No"}}', name="arn:aws:iam::1:policy/NoAccess")
    d = evaluate(Request("s3:GetObject", OBJECT, USER), identity_policies=[
        ("arn:aws:iam::1:policy/All", ALL), named])
    assert d.effect == E
    assert d.matched_statements[0].policy_name == "arn:aws:iam::1:policy/NoAccess"


# ------------------------------------------------------- compiled sets reused by evaluate


def _doc(effect: str, action: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": effect, "Action": action, "Resource": "*"}]})


def test_evaluate_compiles_each_set_of_parsed_policies_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from iamd.policy import evaluation

    built: list[object] = []
    original = evaluation.PolicySet.__init__

    def counting(self: evaluation.PolicySet, *args: object, **kwargs: object) -> None:
        built.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(evaluation.PolicySet, "__init__", counting)
    allow = parse(_doc("Allow", "s3:*"))
    deny = parse(_doc("Deny", "s3:DeleteObject"))
    request = Request(action="s3:GetObject", resource="arn:aws:s3:::b/k",
                      principal="arn:aws:iam::111122223333:user/u")
    for _ in range(5):
        assert evaluate(request, identity_policies=[allow, deny]).allowed
    assert len(built) == 1
    # A different set of policies is a different compiled set, with its own answer.
    delete = Request(action="s3:DeleteObject", resource="arn:aws:s3:::b/k",
                     principal="arn:aws:iam::111122223333:user/u")
    assert not evaluate(delete, identity_policies=[allow, deny]).allowed
    assert evaluate(delete, identity_policies=[allow]).allowed
    assert not evaluate(delete, identity_policies=[allow], permissions_boundary=deny).allowed
    assert len(built) == 3


def test_evaluate_with_mappings_is_not_cached_but_still_right() -> None:
    from iamd.policy import evaluation

    request = Request(action="s3:GetObject", resource="arn:aws:s3:::b/k",
                      principal="arn:aws:iam::111122223333:user/u")
    mapping = json.loads(_doc("Allow", "s3:GetObject"))
    assert evaluate(request, identity_policies=[mapping]).allowed
    mapping["Statement"][0]["Effect"] = "Deny"  # the caller may change a mapping in place
    assert not evaluate(request, identity_policies=[mapping]).allowed
    assert evaluation._compiled_key((mapping,), None, None, (), (), True) is None


def test_compiled_set_cache_is_bounded() -> None:
    from iamd.policy import evaluation

    request = Request(action="s3:GetObject", resource="arn:aws:s3:::b/k",
                      principal="arn:aws:iam::111122223333:user/u")
    for n in range(600):
        evaluate(request, identity_policies=[parse(_doc("Allow", f"s3:Get{n}*"))])
    assert len(evaluation._COMPILED._sets) <= 256
