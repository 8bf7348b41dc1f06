"""The walking skeleton with real clients: boto3 and the AWS CLI against a live server."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of


def test_root_get_caller_identity(sts: Any) -> None:
    identity = sts.get_caller_identity()
    assert identity["Account"] == ACCOUNT_ID
    assert identity["UserId"] == ACCOUNT_ID
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert len(identity["ResponseMetadata"]["RequestId"]) == 36


def test_partition_is_the_accounts(server: RunningServer) -> None:
    # Any region of the account's partition works; another partition's regions do not.
    assert server.client("sts", region="eu-west-3").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert error_of(server.client("sts", region="cn-north-1").get_caller_identity)[0] == "InvalidClientTokenId"
    china = server.account_in("aws-cn", "cn-northwest-1")
    assert china.client("sts").get_caller_identity()["Arn"] == f"arn:aws-cn:iam::{china.account_id}:root"


def test_list_users_is_empty_in_a_new_account(iam: Any) -> None:
    response = iam.list_users()
    assert response["Users"] == []
    assert response["IsTruncated"] is False


def test_aws_cli(server: RunningServer) -> None:
    env = server.cli_env()
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    assert json.loads(out.stdout) == {"UserId": ACCOUNT_ID, "Account": ACCOUNT_ID, "Arn": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "iam", "list-users", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    assert json.loads(out.stdout) == {"Users": []}


def test_wrong_secret(server: RunningServer) -> None:
    sts = server.client("sts", secret_access_key="x" * 40)
    code, status, message = error_of(sts.get_caller_identity)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert "signature we calculated does not match" in message


def test_unknown_key(server: RunningServer) -> None:
    sts = server.client("sts", access_key_id="AKIAUNKNOWNKEY000000")
    assert error_of(sts.get_caller_identity)[:2] == ("InvalidClientTokenId", 403)


@contextlib.contextmanager
def frozen_botocore_clock(when: dt.datetime | None) -> Iterator[None]:
    """Make botocore's signer believe it is ``when`` (no change when None)."""
    if when is None:
        yield
        return

    class _Frozen(dt.datetime):
        @classmethod
        def utcnow(cls) -> dt.datetime:  # type: ignore[override]
            return when.replace(tzinfo=None)

        @classmethod
        def now(cls, tz: Any = None) -> dt.datetime:  # type: ignore[override]
            return when if tz else when.replace(tzinfo=None)

    original = botocore.auth.datetime.datetime
    botocore.auth.datetime.datetime = _Frozen  # type: ignore[misc]
    try:
        yield
    finally:
        botocore.auth.datetime.datetime = original  # type: ignore[misc]


def _signed_request(server: RunningServer, body: str, *, when: dt.datetime | None = None,
                    service: str = "sts", path: str = "/") -> botocore.awsrequest.AWSRequest:
    credentials = botocore.credentials.Credentials(server.access_key_id, server.secret_access_key)
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=server.endpoint + path, data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    signer = botocore.auth.SigV4Auth(credentials, service, "us-east-1")
    with frozen_botocore_clock(when):
        signer.add_auth(request)
    return request


def _send(url: str, body: bytes | None, headers: dict[str, str], method: str = "POST") -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _code(xml: str) -> str:
    return xml.split("<Code>")[1].split("</Code>")[0]


BODY = "Action=GetCallerIdentity&Version=2011-06-15"


def test_signed_raw_request_and_tampered_body(server: RunningServer) -> None:
    request = _signed_request(server, BODY)
    headers = dict(request.headers.items())
    status, text = _send(server.endpoint + "/", BODY.encode(), headers)
    assert status == 200 and f"<Account>{ACCOUNT_ID}</Account>" in text
    tampered = BODY.replace("2011-06-15", "2011-06-16").encode()
    status, text = _send(server.endpoint + "/", tampered, headers)
    assert (status, _code(text)) == (403, "SignatureDoesNotMatch")


def test_tampered_header(server: RunningServer) -> None:
    request = _signed_request(server, BODY)
    headers = dict(request.headers.items())
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    status, text = _send(server.endpoint + "/", BODY.encode(), headers)
    assert (status, _code(text)) == (403, "SignatureDoesNotMatch")


def test_signature_older_than_15_minutes(server: RunningServer) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    request = _signed_request(server, BODY, when=old)
    status, text = _send(server.endpoint + "/", BODY.encode(), dict(request.headers.items()))
    assert (status, _code(text)) == (403, "SignatureDoesNotMatch")
    assert "Signature expired" in text
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14)
    request = _signed_request(server, BODY, when=recent)
    status, _ = _send(server.endpoint + "/", BODY.encode(), dict(request.headers.items()))
    assert status == 200


def test_unsigned_request(server: RunningServer) -> None:
    status, text = _send(server.endpoint + "/", BODY.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, _code(text)) == (403, "MissingAuthenticationToken")
    assert "<ErrorResponse" in text


def _presign(server: RunningServer, expires: int, when: dt.datetime | None = None) -> str:
    credentials = botocore.credentials.Credentials(server.access_key_id, server.secret_access_key)
    request = botocore.awsrequest.AWSRequest(method="GET", url=server.endpoint + "/?" + BODY)
    signer = botocore.auth.SigV4QueryAuth(credentials, "sts", "us-east-1", expires=expires)
    with frozen_botocore_clock(when):
        signer.add_auth(request)
    return request.url


def test_presigned_url_works_and_expires(server: RunningServer) -> None:
    status, text = _send(_presign(server, 300), None, {}, method="GET")
    assert status == 200 and "<GetCallerIdentityResult>" in text
    # STS, like IAM, holds presigned requests to the 15-minute window around X-Amz-Date.
    expired = _presign(server, 900, when=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    status, text = _send(expired, None, {}, method="GET")
    assert status in (400, 403)
    assert _code(text) in ("AccessDenied", "ExpiredToken", "SignatureDoesNotMatch", "RequestExpired")
    assert "expired" in text.lower()
    tampered = _presign(server, 300).replace("GetCallerIdentity", "GetSessionToken")
    status, text = _send(tampered, None, {}, method="GET")
    assert (status, _code(text)) == (403, "SignatureDoesNotMatch")


def test_unknown_action(server: RunningServer) -> None:
    body = "Action=FlyToTheMoon&Version=2010-05-08"
    request = _signed_request(server, body, service="iam")
    status, text = _send(server.endpoint + "/", body.encode(), dict(request.headers.items()))
    assert (status, _code(text)) == (400, "InvalidAction")


def test_unimplemented_operation_says_so(server: RunningServer) -> None:
    from iamd.protocol import load_service
    from iamd.server.operations import handler_for

    missing = sorted(op for op in load_service("iam").operation_names if handler_for("iam", op) is None)
    if not missing:
        pytest.skip("every IAM operation is implemented")
    body = f"Action={missing[0]}&Version=2010-05-08"
    request = _signed_request(server, body, service="iam")
    status, text = _send(server.endpoint + "/", body.encode(), dict(request.headers.items()))
    assert (status, _code(text)) == (501, "NotImplemented")
    assert missing[0] in text


@pytest.mark.parametrize("action,credential,code", [
    ("AssumeRoleWithWebIdentity", "WebIdentityToken=not-a-jwt", "InvalidIdentityToken"),
    ("AssumeRoleWithSAML", "SAMLAssertion=bm90LXNhbWw%3D&PrincipalArn=arn:aws:iam::111122223333:saml-provider/p",
     "InvalidIdentityToken"),
])
def test_unsigned_federation_operations_are_served(server: RunningServer, action: str, credential: str,
                                                   code: str) -> None:
    # AWS serves these without a signature (the token or assertion is the credential): a bad
    # one is the federation's error, never MissingAuthenticationToken.
    body = (f"Action={action}&Version=2011-06-15&RoleArn=arn:aws:iam::{ACCOUNT_ID}:role/r"
            f"&RoleSessionName=session&{credential}")
    status, text = _send(server.endpoint + "/", body.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, _code(text)) == (400, code), text
    # Any other operation without a signature is still refused as unsigned.
    status, text = _send(server.endpoint + "/", BODY.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, _code(text)) == (403, "MissingAuthenticationToken")


@pytest.mark.parametrize("path", ["/foo", "/iam/", "//", "/_iamd", "/?"])
def test_signed_request_to_another_path_is_an_error(server: RunningServer, path: str) -> None:
    request = _signed_request(server, BODY, path=path)
    status, text = _send(request.url, BODY.encode(), dict(request.headers.items()))
    if path == "/?":
        # An empty query string still names the path `/`.
        assert status == 200 and "<GetCallerIdentityResult>" in text
        return
    assert (status, _code(text)) == (404, "NotFound")
    assert "<ErrorResponse" in text and "GetCallerIdentityResult" not in text


def test_get_with_query_string(server: RunningServer) -> None:
    status, text = _send(_presign(server, 60), None, {}, method="GET")
    assert status == 200


def test_health(server: RunningServer) -> None:
    with urllib.request.urlopen(server.endpoint + "/_iamd/health") as response:
        assert json.loads(response.read()) == {"status": "ok"}


def test_two_accounts_side_by_side(server: RunningServer) -> None:
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    other = server.client("sts", access_key_id=created["access_key_id"], secret_access_key=created["secret_access_key"])
    identity = other.get_caller_identity()
    assert identity["Account"] == created["account_id"] != ACCOUNT_ID
    assert identity["Arn"] == f"arn:aws:iam::{created['account_id']}:root"
    assert server.client("sts").get_caller_identity()["Account"] == ACCOUNT_ID


def test_reset_restores_bootstrap_state(server: RunningServer) -> None:
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    server.reset()
    stale = server.client("sts", access_key_id=created["access_key_id"], secret_access_key=created["secret_access_key"])
    assert error_of(stale.get_caller_identity)[0] == "InvalidClientTokenId"
    assert server.client("sts").get_caller_identity()["Account"] == ACCOUNT_ID
