"""The decision trace: deciding statements, per-type summaries, sentences, positions."""

from __future__ import annotations

from iamd.policy import Decision, Position, Request, evaluate, parse

from .helpers import ACCOUNT, OBJECT, OTHER_USER, USER, allow, doc, stmt

MFA_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    {"Sid": "AllowEc2", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
    {
      "Sid": "DenyNoMFA",
      "Effect": "Deny",
      "Action": "*",
      "Resource": "*",
      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}"""


def test_explicit_deny_sentence_and_positions() -> None:
    policy = parse(MFA_POLICY, name="X")
    d = evaluate(Request("s3:GetObject", OBJECT, USER, {"aws:MultiFactorAuthPresent": False}),
                 identity_policies=[policy])
    assert isinstance(d, Decision) and d.effect == "ExplicitDeny"
    (st,) = d.matched_statements
    assert (st.policy_name, st.policy_type, st.index, st.sid, st.effect) == (
        "X", "identity", 2, "DenyNoMFA", "Deny")
    assert st.start == Position(6, 5) and st.end == Position(12, 5)
    text = d.explain()
    assert text.startswith("denied because statement `DenyNoMFA` (index 2) of policy `X`")
    assert "`aws:MultiFactorAuthPresent` is `false`" in text
    summary = d.trace.summaries
    assert summary["identity"].outcome == "ExplicitDeny"
    assert summary["boundary"].outcome == "NotApplicable"
    assert summary["resource"].outcome == "NotApplicable"


def test_why_the_rest_did_not_match() -> None:
    d = evaluate(Request("s3:GetObject", OBJECT, USER, {"aws:MultiFactorAuthPresent": True}),
                 identity_policies=[parse(MFA_POLICY, name="X")])
    assert d.effect == "Allow"
    reasons = {r.sid: (r.outcome, r.reason) for r in d.trace.statements}
    assert reasons["AllowS3"][0] == "matched"
    assert reasons["AllowEc2"] == ("not-matched", "action `s3:GetObject` is not matched by Action")
    assert reasons["DenyNoMFA"][0] == "not-matched"
    assert "condition failed" in reasons["DenyNoMFA"][1]
    assert [s.sid for s in d.matched_statements] == ["AllowS3"]
    assert "allowed by statement `AllowS3` (index 0) of policy `X`" in d.explain()


def test_boundary_sentence() -> None:
    d = evaluate(Request("s3:GetObject", OBJECT, USER), identity_policies=[allow()],
                 permissions_boundary=allow("ec2:*"))
    assert d.effect == "ImplicitDeny"
    assert d.trace.reason == (
        "implicitly denied: the identity policies allow it but the permissions boundary does not")
    assert d.trace.summaries["identity"].outcome == "Allow"
    assert d.trace.summaries["boundary"].outcome == "ImplicitDeny"
    assert d.matched_statements == ()


def test_other_sentences() -> None:
    def reason(**kw: object) -> str:
        principal = kw.pop("principal", USER)
        return evaluate(Request("s3:GetObject", OBJECT, principal, {}, ACCOUNT),  # type: ignore[arg-type]
                        **kw).trace.reason  # type: ignore[arg-type]

    assert reason() == "implicitly denied: no policy allows it"
    assert "session policy does not" in reason(identity_policies=[allow()],
                                               session_policies=[allow("ec2:*")])
    assert "service control policies at level 1" in reason(service_control_policies=[[]])
    assert "`ou-x`" in reason(service_control_policies=[("ou-x", [allow("ec2:*")])])
    assert "resource control policies" in reason(resource_control_policies=[[]])
    assert "VPC endpoint policy" in reason(endpoint_policies=[allow("ec2:*")])
    assert "cross-account" in reason(principal=OTHER_USER, identity_policies=[allow()])
    assert "anonymous" in reason(principal="anonymous")


def test_missing_context_keys() -> None:
    policy = allow(Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"},
                              "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    d = evaluate(Request("s3:GetObject", OBJECT, USER, {"aws:SourceIp": "10.0.0.1"}),
                 identity_policies=[policy])
    assert d.missing_context_keys == ("aws:PrincipalTag/team",)
    assert "`aws:PrincipalTag/team`" in d.explain()


def test_unknown_condition_is_reported() -> None:
    policy = doc(stmt(action="*"), stmt("Deny", Condition={"NumericLessThan": {"test:n": "3"}}))
    d = evaluate(Request("s3:GetObject", OBJECT, USER, {"test:n": "many"}),
                 identity_policies=[policy])
    assert d.effect == "ExplicitDeny"
    assert d.matched_statements[0].outcome == "unknown"
    assert "could not be evaluated" in d.explain()


def test_grant_kind_recorded() -> None:
    rp = doc(stmt(resource=OBJECT, Principal={"AWS": USER}))
    d = evaluate(Request("s3:GetObject", OBJECT, USER, {}, ACCOUNT), resource_policy=rp)
    assert d.effect == "Allow"
    assert d.matched_statements[0].grant == "exact"
    assert d.trace.summaries["resource"].outcome == "Allow"
    assert "resource-based policy" in d.trace.reason


def test_trace_is_lazy_and_cached() -> None:
    d = evaluate(Request("s3:GetObject", OBJECT, USER), identity_policies=[allow()])
    assert d._trace is None
    assert d.trace is d.trace
    assert repr(d) == "Decision('Allow')" and d.allowed
