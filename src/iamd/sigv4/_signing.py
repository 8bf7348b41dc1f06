"""SigV4 signing keys and signatures, and a small signer for tests and benchmarks."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

from iamd.sigv4 import _canonical
from iamd.sigv4._request import RequestParts

AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# botocore leaves these out of the signature because proxies may rewrite them.
_UNSIGNED_HEADERS = frozenset(
    {
        "authorization",
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


# Deriving a key costs four HMACs and a caller signs many requests a day with one key, so
# the derived keys are cached. The cache lives in process memory only and is never logged
# or rendered; its keys hold the secret exactly as the store hands it over.
@lru_cache(maxsize=1024)
def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """Return kSigning, derived from the secret through the date, region and service."""
    k_date = _hmac(("AWS4" + secret_access_key).encode("utf-8"), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, _canonical.TERMINATOR)


def signature(key: bytes, string_to_sign: str) -> str:
    """Return the hex signature of a string to sign."""
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_request(
    parts: RequestParts,
    *,
    access_key_id: str,
    secret_access_key: str,
    region: str,
    service: str,
    now: datetime,
    security_token: str | None = None,
) -> list[tuple[str, str]]:
    """Sign a header-signed request the way botocore's ``SigV4Auth`` does.

    Returns ``parts.headers`` plus ``X-Amz-Date``, ``X-Amz-Security-Token`` (when given)
    and ``Authorization``. Every header already present is signed, except the few botocore
    leaves out; ``parts.headers`` must hold ``Host``. Meant for tests and benchmarks: iamd
    itself only verifies.
    """
    amz_date = now.astimezone(UTC).strftime(AMZ_DATE_FORMAT)
    headers = [
        (name, value)
        for name, value in parts.headers
        if name.lower() not in {"authorization", "x-amz-date", "x-amz-security-token"}
    ]
    headers.append(("X-Amz-Date", amz_date))
    if security_token is not None:
        headers.append(("X-Amz-Security-Token", security_token))
    grouped = _canonical.header_map(headers)
    signed = sorted(name for name in grouped if name not in _UNSIGNED_HEADERS)
    payload_hash = _payload_hash(grouped.get("x-amz-content-sha256"), parts.body)
    canonical = _canonical.canonical_request(
        method=parts.method,
        path=_canonical.canonical_path(parts.path),
        query=_canonical.canonical_query(_canonical.parse_query(parts.query_string)),
        headers=_canonical.canonical_headers(grouped, signed),
        signed_headers=signed,
        payload_hash=payload_hash,
    )
    scope = f"{amz_date[:8]}/{region}/{service}/{_canonical.TERMINATOR}"
    key = signing_key(secret_access_key, amz_date[:8], region, service)
    value = signature(key, _canonical.string_to_sign(amz_date, scope, canonical))
    authorization = (
        f"{_canonical.ALGORITHM} Credential={access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(signed)}, Signature={value}"
    )
    headers.append(("Authorization", authorization))
    return headers


def _payload_hash(declared: Iterable[str] | None, body: bytes) -> str:
    if declared:
        return next(iter(declared))
    return hashlib.sha256(body).hexdigest()
