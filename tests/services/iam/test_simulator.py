"""The simulator's pure parts: statement positions, context entries, exclusions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.policy import Position
from iamd.protocol.errors import InvalidInput
from iamd.services.iam import simulator


def _spans(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    found = simulator.statement_positions(text)
    assert found is not None
    return [((a.line, a.column), (b.line, b.column)) for a, b in found]


# Positions recorded from AWS's simulator responses for these exact documents.
def test_positions_of_a_single_statement_object() -> None:
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
            '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')
    assert _spans(text) == [((1, 38), (1, 167))]


def test_positions_in_a_compact_array() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "*",
         "Resource": ["arn:aws:s3:::tims-fancy-bucket/*", "arn:aws:s3:::tims-fancy-bucket"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyTimDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": "arn:aws:s3:::tims-fancy-bucket/*",
         "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::112233445566:role/tims-test-role"}}},
    ]}
    # The second statement starts where the first ended: before the comma.
    assert _spans(json.dumps(policy, separators=(",", ":"))) == [((1, 38), (1, 248)), ((1, 248), (1, 470))]


def test_positions_with_spaces_and_lines() -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "s3", "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"],
         "Resource": ["arn:aws:s3:::tims-fancy-bucket/only-here/*"]}]}
    assert _spans(json.dumps(policy)) == [((1, 41), (1, 180))]
    pretty = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "GrantAccess", "Effect": "Allow", "Action": "codecommit:ListRepositories", "Resource": "*"}]}, indent=4)
    assert _spans(pretty) == [((3, 19), (9, 10))]
    assert _spans(pretty.replace("\n", "\r\n")) == [((3, 19), (9, 10))]


def test_positions_ignore_nested_statement_keys_and_take_the_last() -> None:
    text = ('{"Id":{"Statement":[{}]},"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}],'
            '"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}')
    [(start, _end)] = _spans(text)
    assert start == (1, text.rindex('"Statement":{') + len('"Statement":{') + 1)
    assert simulator.statement_positions('{"Version":"2012-10-17"}') is None
    assert isinstance(simulator.statement_positions(text)[0][0], Position)  # type: ignore[index]


def test_context_values() -> None:
    values = simulator.context_values([
        {"ContextKeyName": "aws:username", "ContextKeyValues": ["alice"], "ContextKeyType": "string"},
        {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["a"], "ContextKeyType": "stringList"},
        {"ContextKeyName": "s3:max-keys", "ContextKeyValues": ["1", "2"], "ContextKeyType": "numeric"},
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.0.0.0/8"], "ContextKeyType": "ip"},
        {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2020-01-01T00:00:00Z"], "ContextKeyType": "date"},
        {"ContextKeyName": "x:bin", "ContextKeyValues": ["aGVsbG8="], "ContextKeyType": "binary"},
        {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["TRUE"], "ContextKeyType": "boolean"},
    ])
    assert values["aws:username"] == "alice"
    assert values["aws:TagKeys"] == ["a"]
    assert values["s3:max-keys"] == ["1", "2"]
    assert values["aws:SecureTransport"] == "TRUE"


@pytest.mark.parametrize(
    ("kind", "value"),
    [("numeric", "x"), ("boolean", "yes"), ("ip", "300.1.1.1"), ("date", "yesterday"), ("binary", "***"),
     ("numericList", "1e"), ("ipList", "nope")],
)
def test_context_values_refuse_values_of_the_wrong_type(kind: str, value: str) -> None:
    with pytest.raises(InvalidInput, match="k:key"):
        simulator.context_values([{"ContextKeyName": "k:key", "ContextKeyValues": [value], "ContextKeyType": kind}])


def test_context_values_need_a_name() -> None:
    with pytest.raises(InvalidInput):
        simulator.context_values([{"ContextKeyValues": ["a"]}])


def test_exclusions() -> None:
    ex = simulator._Exclusions([
        {"PolicyArn": "arn:aws:iam::111122223333:policy/team/Read*"},
        {"PolicyArn": "arn:aws:iam::aws:policy/Admin?stratorAccess"},
        {"InlinePolicyIdentifier": {"PolicyName": "P", "AttachmentType": "group", "AttachmentName": "dev*"}},
    ])
    assert ex.excludes_managed("arn:aws:iam::111122223333:policy/team/ReadOnly")
    assert not ex.excludes_managed("arn:aws:iam::111122223333:policy/ReadOnly")
    assert ex.excludes_managed("arn:aws:iam::aws:policy/AdministratorAccess")
    assert ex.excludes_inline("group", "developers", "p")
    assert not ex.excludes_inline("user", "developers", "p")
    assert not ex.excludes_boundary
    assert simulator._Exclusions([{"PolicyType": "permission-boundary"}]).excludes_boundary
    typed = simulator._Exclusions([{"PolicyType": "aws-managed"}])
    assert typed.excludes_managed("arn:aws:iam::aws:policy/X")
    assert not typed.excludes_managed("arn:aws:iam::111122223333:policy/X")


@pytest.mark.parametrize(
    "identifier",
    [
        {},
        {"PolicyType": "inline", "PolicyArn": "arn:aws:iam::aws:policy/X"},
        {"PolicyArn": "arn:aws:iam::111122223333:policy/a*b*"},
        {"PolicyArn": "arn:aws:iam::1111*:policy/a"},
        {"PolicyArn": "arn:aws:s3:::bucket"},
    ],
)
def test_invalid_exclusions(identifier: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        simulator._Exclusions([identifier])


# -- the time budget (issue 11) -----------------------------------------------------------

def _custom_context(clock: Any) -> Any:
    from iamd.services.caller import Caller
    from iamd.services.crypto import SecretBox
    from iamd.services.operations import OperationContext
    from iamd.services.runtime import Runtime

    account = "111122223333"
    return OperationContext(
        caller=Caller(kind="Account", account_id=account, arn=f"arn:aws:iam::{account}:root",
                      user_id=account, access_key_id="AKIAROOTKEY000000001"),
        db=None, box=SecretBox(bytes(32)),  # type: ignore[arg-type]  # the simulation reads no store
        runtime=Runtime(clock=clock), request_id="test",
    )


def test_a_simulation_past_its_budget_stops_with_invalid_input() -> None:
    from datetime import UTC, datetime, timedelta

    # Every reading of the clock is a second later: the budget runs out after a few
    # evaluations, whatever the machine's speed.
    ticks = iter(range(1_000_000))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    context = _custom_context(lambda: start + timedelta(seconds=next(ticks)))
    policy_text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    params = {"PolicyInputList": [policy_text], "ActionNames": [f"s3:Get{i}" for i in range(100)]}
    with pytest.raises(InvalidInput) as info:
        simulator.simulate_custom_policy(context, params)
    assert info.value.message == (
        "The simulation did not finish within 5 seconds. "
        "Simulate fewer actions, resources or policies in one call."
    )
    # Within the budget the same simulation answers.
    still = _custom_context(lambda: start)
    output = simulator.simulate_custom_policy(still, params)
    assert len(output["EvaluationResults"]) == 100
