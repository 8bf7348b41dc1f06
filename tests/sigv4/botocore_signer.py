"""botocore as the reference client: sign a request with it, hand it over as RequestParts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.credentials import Credentials

from iamd.sigv4 import RequestParts

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SIGNED_AT = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
IAM_FORM = b"Action=ListUsers&Version=2010-05-08"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


@contextmanager
def frozen_botocore_clock(when: datetime) -> Iterator[None]:
    """Make botocore's signers read ``when`` as the current time."""
    naive = when.astimezone(UTC).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=naive):
        yield


def to_parts(request: AWSRequest | AWSPreparedRequest) -> RequestParts:
    """What an ASGI server would hand over for this request once it is on the wire."""
    prepared = request.prepare() if isinstance(request, AWSRequest) else request
    url = urlsplit(prepared.url)
    headers = [(name, _wire_text(value)) for name, value in prepared.headers.items()]
    if isinstance(request, AWSRequest):
        # Preparing folds repeated headers into one; the original keeps them all, in order.
        original = [(name, _wire_text(value)) for name, value in request.headers.items()]
        seen = {name.lower() for name, _ in original}
        headers = original + [(n, v) for n, v in headers if n.lower() not in seen]
    if not any(name.lower() == "host" for name, _ in headers):
        # The HTTP client adds Host from the URL, which is what botocore signed.
        headers.insert(0, ("Host", botocore.auth._host_from_url(prepared.url)))
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return RequestParts(
        method=prepared.method,
        path=url.path,
        query_string=url.query,
        headers=headers,
        body=bytes(body),
    )


def _wire_text(value: str | bytes) -> str:
    # Servers decode header bytes as Latin-1; http.client encodes str values the same way.
    return value.decode("latin-1") if isinstance(value, bytes) else value


def sign(
    method: str = "POST",
    url: str = "https://iam.amazonaws.com/",
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    region: str = "us-east-1",
    service: str = "iam",
    secret: str = SECRET,
    token: str | None = None,
    when: datetime = SIGNED_AT,
    presign: bool = False,
    expires: int = 3600,
) -> RequestParts:
    """Sign with botocore's ``SigV4Auth`` (or ``SigV4QueryAuth``) and return the parts."""
    if headers is None:
        headers = {"Content-Type": FORM_TYPE} if method == "POST" and not presign else {}
    if body is None:
        body = IAM_FORM if method == "POST" and not presign else b""
    request = AWSRequest(method=method, url=url, data=body)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in pairs:
        request.headers[name] = value  # a repeated name is added again, not replaced
    credentials = Credentials(ACCESS_KEY_ID, secret, token)
    signer: botocore.auth.SigV4Auth
    if presign:
        signer = botocore.auth.SigV4QueryAuth(credentials, service, region, expires=expires)
    else:
        signer = botocore.auth.SigV4Auth(credentials, service, region)
    with frozen_botocore_clock(when):
        signer.add_auth(request)
    return to_parts(request)


def replace_header(parts: RequestParts, name: str, value: str) -> RequestParts:
    """The same request with one header's value replaced."""
    headers = [(n, value if n.lower() == name.lower() else v) for n, v in parts.headers]
    return RequestParts(parts.method, parts.path, parts.query_string, headers, parts.body)
