"""Hypothesis properties: monotonicity of evaluation, and parse never crashes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd.policy import MalformedPolicyDocument, Policy, Request, evaluate, parse

from .helpers import ACCOUNT, OTHER_USER, ROLE, SESSION, USER

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:*", "s3:Get*", "ec2:*", "*", "iam:?etUser"]
RESOURCES = ["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/k", "arn:aws:s3:::*", "arn:aws:ec2:*:*:*"]
CONDITIONS: list[dict[str, Any]] = [
    {},
    {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": ["red"]}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"NumericLessThan": {"test:n": "5"}},
    {"ForAllValues:StringLike": {"aws:TagKeys": "a*"}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": "b"}},
]
PRINCIPALS: list[Any] = ["*", {"AWS": USER}, {"AWS": ACCOUNT}, {"AWS": ROLE}]


@st.composite
def statements(draw: Any, effect: str | None = None, principal: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    out["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(
        st.sampled_from(ACTIONS))
    out["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = draw(
        st.sampled_from(RESOURCES))
    cond = draw(st.sampled_from(CONDITIONS))
    if cond:
        out["Condition"] = cond
    if principal:
        out["Principal"] = draw(st.sampled_from(PRINCIPALS))
    return out


def documents(principal: bool = False) -> Any:
    return st.lists(statements(principal=principal), min_size=1, max_size=4).map(
        lambda s: {"Version": "2012-10-17", "Statement": s})


requests = st.builds(
    Request,
    action=st.sampled_from(["s3:GetObject", "s3:PutObject", "ec2:RunInstances", "iam:GetUser"]),
    resource=st.sampled_from(["arn:aws:s3:::b/k", "arn:aws:s3:::c/k", "*"]),
    principal=st.sampled_from([USER, SESSION, ROLE, OTHER_USER, "anonymous"]),
    context=st.fixed_dictionaries({}, optional={
        "aws:PrincipalTag/team": st.sampled_from(["blue", "red"]),
        "aws:MultiFactorAuthPresent": st.booleans(),
        "aws:SourceIp": st.sampled_from(["10.1.2.3", "192.168.0.1", "bogus"]),
        "test:n": st.sampled_from(["1", "9", "x"]),
        "aws:TagKeys": st.lists(st.sampled_from(["a1", "b", "c"]), max_size=3),
    }),
    resource_account=st.just(ACCOUNT),
)

policy_sets = st.fixed_dictionaries(
    {"identity_policies": st.lists(documents(), max_size=3)},
    optional={
        "resource_policy": documents(principal=True),
        "permissions_boundary": documents(),
        "session_policies": st.lists(documents(), min_size=1, max_size=2),
        "service_control_policies": st.lists(st.lists(documents(), max_size=2), min_size=1,
                                             max_size=2),
    },
)

SLOW = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _add(policies: dict[str, Any], where: str, statement: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(policies))
    if where == "identity" or where not in out:
        out["identity_policies"] = out.get("identity_policies", []) + [
            {"Version": "2012-10-17", "Statement": [statement]}]
    elif where == "resource_policy" or where == "permissions_boundary":
        out[where]["Statement"].append(statement)
    elif where == "session_policies":
        out[where][0]["Statement"].append(statement)
    else:
        out[where][0].append({"Version": "2012-10-17", "Statement": [statement]})
    return out


@SLOW
@given(policies=policy_sets, request=requests, data=st.data())
def test_adding_a_deny_never_allows(policies: dict[str, Any], request: Request,
                                    data: Any) -> None:
    where = data.draw(st.sampled_from(["identity", "resource_policy", "permissions_boundary",
                                       "session_policies", "service_control_policies"]))
    extra = data.draw(statements("Deny", principal=where == "resource_policy"))
    if where != "resource_policy":
        extra.pop("Principal", None)
    before = evaluate(request, **policies).effect
    after = evaluate(request, **_add(policies, where, extra)).effect
    if before != "Allow":
        assert after != "Allow"
    if before == "ExplicitDeny":
        assert after == "ExplicitDeny"


@SLOW
@given(policies=policy_sets, request=requests, data=st.data())
def test_adding_an_allow_never_denies(policies: dict[str, Any], request: Request,
                                      data: Any) -> None:
    where = data.draw(st.sampled_from(["identity", "resource_policy", "permissions_boundary",
                                       "session_policies", "service_control_policies"]))
    extra = data.draw(statements("Allow", principal=where == "resource_policy"))
    before = evaluate(request, **policies).effect
    after = evaluate(request, **_add(policies, where, extra)).effect
    if before == "Allow":
        assert after == "Allow"


@SLOW
@given(request=requests)
def test_no_policies_deny(request: Request) -> None:
    assert evaluate(request).effect == "ImplicitDeny"


@SLOW
@given(policies=policy_sets, request=requests)
def test_trace_agrees_with_fast_path(policies: dict[str, Any], request: Request) -> None:
    d = evaluate(request, **policies)
    assert d.trace.effect == d.effect
    assert d.explain()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=8) | st.sampled_from(["Allow", "Deny", "*", "s3:*", "2012-10-17",
                                            "arn:aws:s3:::b", "${aws:username}"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["Version", "Statement", "Effect", "Action", "NotAction", "Resource",
                         "NotResource", "Principal", "NotPrincipal", "Condition", "Sid", "Id",
                         "AWS", "Service", "StringEquals", "ForAnyValue:StringLike",
                         "DateLessThan", "aws:SourceIp", "IpAddress", "x"]) | st.text(max_size=5),
        children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, kind=st.sampled_from(["identity", "resource", "trust", "boundary",
                                                "session", "scp", "rcp", "endpoint"]),
       strict=st.booleans())
def test_parse_fuzz(value: Any, kind: str, strict: bool) -> None:
    try:
        policy = parse(json.dumps(value), kind, strict=strict)
    except MalformedPolicyDocument:
        return
    assert isinstance(policy, Policy)
    # Whatever parses must evaluate without error.
    evaluate(Request("s3:GetObject", "arn:aws:s3:::b", USER, {"aws:SourceIp": "1.2.3.4"}),
             identity_policies=[policy])


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_parse_fuzz_text(text: str) -> None:
    try:
        parse(text)
    except MalformedPolicyDocument:
        pass
