"""Checking a SigV4 signature: its time, its credential scope, then its value."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from iamd.sigv4 import _canonical, _signing
from iamd.sigv4._errors import SignatureDoesNotMatch
from iamd.sigv4._request import RequestParts, SignedRequest

MAX_SKEW = timedelta(minutes=15)

_BASIC = "%Y%m%dT%H%M%SZ"


def verify(
    signed: SignedRequest,
    parts: RequestParts,
    secret_access_key: str,
    now: datetime,
    *,
    service: str | None = None,
    regions: Collection[str] | None = None,
) -> None:
    """Check a parsed signature against the request and the secret; raise if it fails.

    ``now`` is the server's time (a naive value is taken as UTC). ``service``, when given,
    is the service the credential must be scoped to, and ``regions`` the regions it may
    be scoped to; without them any service and region are accepted. Returns nothing: a
    request that gets past this call is authentic.
    """
    _check_time(signed.request_time, now)
    _check_scope(signed, service, regions)
    headers = _canonical.header_map(parts.headers)
    payload_hash = _payload_hash(headers.get("x-amz-content-sha256"), parts.body)
    canonical = _canonical.canonical_request(
        method=parts.method,
        path=_canonical.canonical_path(parts.path),
        query=_canonical.canonical_query(
            _canonical.parse_query(parts.query_string),
            exclude="X-Amz-Signature" if signed.presigned else None,
        ),
        headers=_canonical.canonical_headers(headers, signed.signed_headers),
        signed_headers=signed.signed_headers,
        payload_hash=payload_hash,
    )
    key = _signing.signing_key(secret_access_key, signed.date, signed.region, signed.service)
    expected = _signing.signature(
        key, _canonical.string_to_sign(signed.amz_date, signed.scope, canonical)
    )
    given = signed.signature.encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(expected.encode("ascii"), given):
        raise SignatureDoesNotMatch()


def _check_time(request_time: datetime, now: datetime) -> None:
    # IAM and STS hold every request, presigned or not, to 15 minutes either side of the
    # server's clock and ignore X-Amz-Expires (see the package docstring).
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    now = now.astimezone(UTC).replace(microsecond=0)
    earliest, latest = now - MAX_SKEW, now + MAX_SKEW
    if request_time < earliest:
        raise SignatureDoesNotMatch(
            f"Signature expired: {request_time:{_BASIC}} is now earlier than "
            f"{earliest:{_BASIC}} ({now:{_BASIC}} - 15 min.)"
        )
    if request_time > latest:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {request_time:{_BASIC}} is still later than "
            f"{latest:{_BASIC}} ({now:{_BASIC}} + 15 min.)"
        )


def _check_scope(
    signed: SignedRequest, service: str | None, regions: Collection[str] | None
) -> None:
    problems = []
    if regions is not None and signed.region not in regions:
        problems.append(f"Credential should be scoped to a valid region, not '{signed.region}'.")
    if service is not None and signed.service != service:
        problems.append(f"Credential should be scoped to correct service: '{service}'.")
    if signed.terminator != _canonical.TERMINATOR:
        problems.append(
            "Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not '{signed.terminator}'."
        )
    request_date = signed.amz_date[:8]
    if signed.date != request_date:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{signed.date}' != '{request_date}', from '{signed.amz_date}'."
        )
    if problems:
        raise SignatureDoesNotMatch(" ".join(problems))


def _payload_hash(declared: Sequence[str] | None, body: bytes) -> str:
    body_hash = hashlib.sha256(body).hexdigest()
    if not declared:
        return body_hash
    # The header is what the client hashed into its signature (botocore puts its value in
    # the canonical request as is), but IAM and STS take no unsigned or streamed payloads:
    # it must be the body's own digest.
    if not hmac.compare_digest(declared[0].strip().lower().encode("utf-8"), body_hash.encode()):
        raise SignatureDoesNotMatch()
    return declared[0]
