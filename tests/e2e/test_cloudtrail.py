"""CloudTrail LookupEvents (JSON protocol) with boto3 and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of


def by(key: str, value: str) -> list[dict[str, str]]:
    return [{"AttributeKey": key, "AttributeValue": value}]


def user_client(server: RunningServer, iam: Any, name: str, service: str, *actions: str) -> Any:
    iam.create_user(UserName=name)
    if actions:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client(service, access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


@pytest.fixture
def cloudtrail(server: RunningServer) -> Any:
    return server.client("cloudtrail")


def test_lookup_by_event_name_finds_a_call_just_made(iam: Any, cloudtrail: Any) -> None:
    iam.create_group(GroupName="admins")
    events = cloudtrail.lookup_events(LookupAttributes=by("EventName", "CreateGroup"))["Events"]
    assert len(events) == 1
    event = events[0]
    assert event["EventName"] == "CreateGroup" and event["ReadOnly"] == "false"
    assert event["EventSource"] == "iam.amazonaws.com" and event["Username"] == "root"
    assert event["Resources"] == [{"ResourceType": "AWS::IAM::Group", "ResourceName": "admins"}]
    assert abs(event["EventTime"] - datetime.now(UTC)) < timedelta(minutes=5)
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventID"] == event["EventId"]
    assert record["requestParameters"] == {"groupName": "admins"}


def test_lookup_by_username_event_id_access_key_and_source(server: RunningServer, iam: Any, cloudtrail: Any) -> None:
    bob = user_client(server, iam, "bob", "sts")
    bob.get_caller_identity()
    (event,) = cloudtrail.lookup_events(LookupAttributes=by("Username", "bob"))["Events"]
    assert event["EventName"] == "GetCallerIdentity" and event["EventSource"] == "sts.amazonaws.com"
    (same,) = cloudtrail.lookup_events(LookupAttributes=by("EventId", event["EventId"]))["Events"]
    assert same == event
    (same,) = cloudtrail.lookup_events(LookupAttributes=by("AccessKeyId", event["AccessKeyId"]))["Events"]
    assert same["EventId"] == event["EventId"]
    sts_events = cloudtrail.lookup_events(LookupAttributes=by("EventSource", "sts.amazonaws.com"))["Events"]
    assert [e["EventId"] for e in sts_events] == [event["EventId"]]
    assert cloudtrail.lookup_events(LookupAttributes=by("Username", "nobody"))["Events"] == []


def test_lookup_by_read_only_and_resources(iam: Any, cloudtrail: Any) -> None:
    iam.create_user(UserName="carol")
    iam.list_users()
    writes = cloudtrail.lookup_events(LookupAttributes=by("ReadOnly", "false"))["Events"]
    assert {e["EventName"] for e in writes} == {"CreateUser"}
    reads = cloudtrail.lookup_events(LookupAttributes=by("ReadOnly", "true"))["Events"]
    assert "ListUsers" in {e["EventName"] for e in reads}
    named = cloudtrail.lookup_events(LookupAttributes=by("ResourceName", "carol"))["Events"]
    assert [e["EventName"] for e in named] == ["CreateUser"]
    typed = cloudtrail.lookup_events(LookupAttributes=by("ResourceType", "AWS::IAM::User"))["Events"]
    assert [e["EventName"] for e in typed] == ["CreateUser"]
    code, status, message = error_of(cloudtrail.lookup_events, LookupAttributes=by("ReadOnly", "maybe"))
    assert (code, status) == ("InvalidLookupAttributesException", 400) and "ReadOnly" in message


def test_pages_newest_first_with_next_token(iam: Any, cloudtrail: Any) -> None:
    for number in range(5):
        iam.create_group(GroupName=f"g{number}")
    first = cloudtrail.lookup_events(LookupAttributes=by("EventName", "CreateGroup"), MaxResults=2)
    assert [e["Resources"][0]["ResourceName"] for e in first["Events"]] == ["g4", "g3"]
    second = cloudtrail.lookup_events(LookupAttributes=by("EventName", "CreateGroup"), MaxResults=2,
                                      NextToken=first["NextToken"])
    third = cloudtrail.lookup_events(LookupAttributes=by("EventName", "CreateGroup"), MaxResults=2,
                                     NextToken=second["NextToken"])
    assert [e["Resources"][0]["ResourceName"] for e in second["Events"] + third["Events"]] == ["g2", "g1", "g0"]
    assert "NextToken" not in third
    paginator = cloudtrail.get_paginator("lookup_events")
    pages = list(paginator.paginate(LookupAttributes=by("EventName", "CreateGroup"),
                                    PaginationConfig={"PageSize": 2}))
    assert sum(len(page["Events"]) for page in pages) == 5
    # A token is bound to the lookup it came from.
    code, status, _ = error_of(cloudtrail.lookup_events, LookupAttributes=by("EventName", "ListUsers"),
                               NextToken=first["NextToken"])
    assert (code, status) == ("InvalidNextTokenException", 400)
    code, _, _ = error_of(cloudtrail.lookup_events, NextToken="garbage")
    assert code == "InvalidNextTokenException"


def test_time_range(iam: Any, cloudtrail: Any) -> None:
    iam.create_group(GroupName="timed")
    now = datetime.now(UTC)
    inside = cloudtrail.lookup_events(LookupAttributes=by("EventName", "CreateGroup"),
                                      StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=5))
    assert len(inside["Events"]) == 1
    later = cloudtrail.lookup_events(LookupAttributes=by("EventName", "CreateGroup"),
                                     StartTime=now + timedelta(minutes=5))
    assert later["Events"] == []
    code, status, _ = error_of(cloudtrail.lookup_events, StartTime=now, EndTime=now - timedelta(hours=1))
    assert (code, status) == ("InvalidTimeRangeException", 400)


def test_input_errors(cloudtrail: Any) -> None:
    code, status, _ = error_of(cloudtrail.lookup_events,
                               LookupAttributes=by("EventName", "A") + by("Username", "b"))
    assert (code, status) == ("InvalidLookupAttributesException", 400)
    code, status, message = error_of(cloudtrail.lookup_events, MaxResults=51)
    assert (code, status) == ("ValidationException", 400)
    assert message == ("1 validation error detected: Value '51' at 'maxResults' failed to satisfy "
                       "constraint: Member must have value less than or equal to 50")
    assert cloudtrail.lookup_events(EventCategory="insight")["Events"] == []


def test_only_the_callers_account(server: RunningServer, iam: Any, cloudtrail: Any) -> None:
    iam.create_group(GroupName="mine")
    status, other = server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    theirs = server.client("cloudtrail", access_key_id=other["access_key_id"],
                           secret_access_key=other["secret_access_key"])
    assert theirs.lookup_events(LookupAttributes=by("EventName", "CreateGroup"))["Events"] == []
    (event,) = cloudtrail.lookup_events(LookupAttributes=by("EventName", "CreateGroup"))["Events"]
    assert json.loads(event["CloudTrailEvent"])["recipientAccountId"] == ACCOUNT_ID


def test_authorised_by_cloudtrail_lookup_events(server: RunningServer, iam: Any) -> None:
    denied = user_client(server, iam, "nolook", "cloudtrail")
    code, status, message = error_of(denied.lookup_events)
    assert (code, status) == ("AccessDeniedException", 400)
    assert "cloudtrail:LookupEvents" in message
    allowed = user_client(server, iam, "looker", "cloudtrail", "cloudtrail:LookupEvents")
    events = allowed.lookup_events(LookupAttributes=by("Username", "nolook"))["Events"]
    assert [e["EventName"] for e in events] == ["LookupEvents"]
    assert json.loads(events[0]["CloudTrailEvent"])["errorCode"] == "AccessDenied"


def test_authentication_failures_in_json_protocol(server: RunningServer) -> None:
    unknown = server.client("cloudtrail", access_key_id="AKIAUNKNOWNKEY000000", secret_access_key="x" * 40)
    assert error_of(unknown.lookup_events)[:2] == ("UnrecognizedClientException", 400)
    wrong = server.client("cloudtrail", secret_access_key="x" * 40)
    assert error_of(wrong.lookup_events)[:2] == ("InvalidSignatureException", 400)


def test_other_operations_are_not_supported(server: RunningServer, cloudtrail: Any) -> None:
    code, status, message = error_of(cloudtrail.describe_trails)
    assert (code, status) == ("UnsupportedOperationException", 400)
    assert "DescribeTrails" in message
    # A target no model knows is the JSON protocol's unknown operation.
    request = urllib.request.Request(
        server.endpoint + "/", data=b"{}", method="POST",
        headers={"X-Amz-Target": "CloudTrail_20131101.NoSuchThing", "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 400
    assert json.loads(info.value.read())["__type"] == "MissingAuthenticationTokenException"


def test_unknown_target_when_signed(server: RunningServer) -> None:
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    request = botocore.awsrequest.AWSRequest(
        method="POST", url=server.endpoint + "/", data=b"{}",
        headers={"X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.NoSuchThing",
                 "Content-Type": "application/x-amz-json-1.1"},
    )
    credentials = botocore.credentials.Credentials(server.access_key_id, server.secret_access_key)
    botocore.auth.SigV4Auth(credentials, "cloudtrail", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(server.endpoint + "/", data=b"{}", method="POST", headers=dict(request.headers))
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(prepared, timeout=10)
    assert info.value.code == 400
    assert info.value.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(info.value.read()) == {"__type": "UnknownOperationException"}


def test_aws_cli_lookup_events(server: RunningServer, iam: Any) -> None:
    bob = user_client(server, iam, "bob", "iam", "iam:ListGroups")
    bob.list_groups()
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "cloudtrail", "lookup-events",
         "--lookup-attributes", "AttributeKey=Username,AttributeValue=bob", "--output", "json"],
        capture_output=True, text=True, env=server.cli_env(), timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)["Events"]
    assert [event["EventName"] for event in events] == ["ListGroups"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["userIdentity"]["userName"] == "bob"
