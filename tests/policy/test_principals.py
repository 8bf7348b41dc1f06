from __future__ import annotations

import pytest

from iamd.policy.principals import ACCOUNT, ANY, EXACT, ROLE, PrincipalSpec, parse_caller

A = "111122223333"


@pytest.mark.parametrize(
    ("principal", "kind", "account"),
    [
        ("anonymous", "anonymous", None),
        (f"arn:aws:iam::{A}:user/path/alice", "user", A),
        (f"arn:aws:iam::{A}:role/app", "role", A),
        (f"arn:aws:sts::{A}:assumed-role/app/s1", "assumed-role", A),
        (f"arn:aws:sts::{A}:federated-user/bob", "federated-user", A),
        (f"arn:aws:iam::{A}:root", "root", A),
        ("s3.amazonaws.com", "service", None),
        ("accounts.google.com", "other", None),
    ],
)
def test_parse_caller(principal: str, kind: str, account: str | None) -> None:
    caller = parse_caller(principal)
    assert (caller.kind, caller.account) == (kind, account)


SPEC = PrincipalSpec({
    "AWS": [f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:role/path/app", "444455556666"],
    "Service": ["ec2.amazonaws.com"],
    "Federated": ["accounts.google.com"],
})


@pytest.mark.parametrize(
    ("principal", "grant"),
    [
        (f"arn:aws:iam::{A}:user/alice", EXACT),
        (f"arn:aws:iam::{A}:user/bob", None),
        (f"arn:aws:sts::{A}:assumed-role/app/any-session", ROLE),  # path-less session ARN
        (f"arn:aws:iam::{A}:role/path/app", ROLE),
        (f"arn:aws:sts::{A}:assumed-role/other/s", None),
        ("arn:aws:iam::444455556666:user/x", ACCOUNT),
        ("arn:aws:iam::444455556666:root", EXACT),
        ("EC2.amazonaws.com", EXACT),
        ("lambda.amazonaws.com", None),
        ("accounts.google.com", EXACT),
        ("anonymous", None),
    ],
)
def test_match(principal: str, grant: str | None) -> None:
    assert SPEC.match(parse_caller(principal)) == grant


def test_star() -> None:
    for raw in ("*", {"AWS": ["*"]}):
        spec = PrincipalSpec(raw)  # type: ignore[arg-type]
        assert spec.match(parse_caller("anonymous")) == ANY
        assert spec.match(parse_caller("s3.amazonaws.com")) == ANY


def test_session_arn_names_only_that_session() -> None:
    spec = PrincipalSpec({"AWS": [f"arn:aws:sts::{A}:assumed-role/app/s1"]})
    assert spec.match(parse_caller(f"arn:aws:sts::{A}:assumed-role/app/s1")) == EXACT
    assert spec.match(parse_caller(f"arn:aws:sts::{A}:assumed-role/app/s2")) is None
