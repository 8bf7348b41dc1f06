"""A real botocore client talking to the Query protocol layer, with no network.

botocore's ``before-send`` event lets a handler answer in place of the HTTP endpoint: the
client signs and encodes the request exactly as it would for AWS, and reads the answer with
all its usual handlers (modelled exceptions, IAM policy-document decoding, retries).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from iamd.protocol import errors, find_service_for_action

UTC = datetime.UTC
Handler = Callable[[str, dict[str, Any]], Any]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class FakeEndpoint:
    """Answers botocore's requests with the protocol layer and a stand-in service."""

    def __init__(self) -> None:
        self.handler: Handler = lambda action, params: None
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        body = request.body if isinstance(request.body, str) else request.body.decode()
        form = parse_qs(body, keep_blank_values=True)
        action = form["Action"][0]
        service = find_service_for_action(action)
        assert service is not None
        try:
            params = service.parse_request(action, form)
            self.seen.append((action, params))
            answer = service.serialize_response(action, self.handler(action, params), "rid-1")
            status = 200
        except errors.ServiceError as error:
            answer, status = service.serialize_error(error, "rid-1")
        return AWSResponse(request.url, status, {"x-amzn-requestid": "rid-1"}, _Raw(answer))


@pytest.fixture(scope="module")
def endpoint() -> FakeEndpoint:
    return FakeEndpoint()


def _client(name: str, endpoint: FakeEndpoint, **config: Any) -> Any:
    session = botocore.session.Session()
    client = session.create_client(
        name, region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )
    client.meta.events.register("before-send", endpoint)
    return client


@pytest.fixture(scope="module")
def iam(endpoint: FakeEndpoint) -> Any:
    return _client("iam", endpoint)


@pytest.fixture(scope="module")
def sts(endpoint: FakeEndpoint) -> Any:
    return _client("sts", endpoint)


def test_create_user(iam: Any, endpoint: FakeEndpoint) -> None:
    created = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    def handler(action: str, params: dict[str, Any]) -> Any:
        assert action == "CreateUser"
        return {"User": {"Path": "/", "UserName": params["UserName"], "UserId": "AIDAX",
                         "Arn": "arn:aws:iam::123456789012:user/" + params["UserName"],
                         "CreateDate": created, "Tags": params.get("Tags", [])}}

    endpoint.handler = handler
    answer = iam.create_user(UserName="bob", Tags=[{"Key": "team", "Value": "a+b = c@d"}])
    assert endpoint.seen[-1] == ("CreateUser", {
        "UserName": "bob", "Tags": [{"Key": "team", "Value": "a+b = c@d"}],
    })
    assert answer["User"]["CreateDate"] == created
    assert answer["User"]["Tags"] == [{"Key": "team", "Value": "a+b = c@d"}]
    assert answer["ResponseMetadata"]["RequestId"] == "rid-1"


def test_policy_documents_reach_boto3_as_objects(iam: Any, endpoint: FakeEndpoint) -> None:
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Sid": "a+b c%"}]}
    endpoint.handler = lambda action, params: {
        "RoleName": params["RoleName"], "PolicyName": params["PolicyName"],
        "PolicyDocument": json.dumps(document),
    }
    answer = iam.get_role_policy(RoleName="r", PolicyName="p")
    assert answer["PolicyDocument"] == document


def test_modelled_error_becomes_its_exception(iam: Any, endpoint: FakeEndpoint) -> None:
    def handler(action: str, params: dict[str, Any]) -> Any:
        raise errors.NoSuchEntity(f"The user with name {params['UserName']} cannot be found.")

    endpoint.handler = handler
    with pytest.raises(iam.exceptions.NoSuchEntityException) as raised:
        iam.delete_user(UserName="ghost")
    response = raised.value.response
    assert response["Error"] == {
        "Type": "Sender", "Code": "NoSuchEntity",
        "Message": "The user with name ghost cannot be found.",
    }
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_sts_assume_role(sts: Any, endpoint: FakeEndpoint) -> None:
    expiration = datetime.datetime(2024, 1, 2, 4, 4, 5, 359000, tzinfo=UTC)
    endpoint.handler = lambda action, params: {
        "Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s",
                        "SessionToken": "t", "Expiration": expiration},
        "AssumedRoleUser": {"AssumedRoleId": "AROAX:" + params["RoleSessionName"],
                            "Arn": "arn:aws:sts::123456789012:assumed-role/r/s1"},
        "PackedPolicySize": 6,
    }
    answer = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/r",
                             RoleSessionName="s1", DurationSeconds=900)
    assert endpoint.seen[-1][1]["DurationSeconds"] == 900
    assert answer["Credentials"]["Expiration"] == expiration
    assert answer["PackedPolicySize"] == 6


def test_server_side_validation_reaches_the_client(endpoint: FakeEndpoint) -> None:
    # Without botocore's own client-side checks, the request reaches our validation.
    client = _client("sts", endpoint, parameter_validation=False)
    with pytest.raises(ClientError) as raised:
        client.assume_role(RoleArn="arn:aws:iam::123456789012:role/r",
                           RoleSessionName="a b", DurationSeconds=60)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert raised.value.response["Error"]["Message"] == (
        "2 validation errors detected: Value 'a b' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; "
        "Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have "
        "value greater than or equal to 900"
    )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_receiver_fault(sts: Any, endpoint: FakeEndpoint) -> None:
    def handler(action: str, params: dict[str, Any]) -> Any:
        raise errors.ServiceFailure("Try again.")

    endpoint.handler = handler
    with pytest.raises(ClientError) as raised:
        sts.get_caller_identity()
    assert raised.value.response["Error"]["Code"] == "ServiceFailure"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
