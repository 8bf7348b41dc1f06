"""IMDSv2 session tokens: the TTL header's range, expiry, binding to one endpoint."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from iamd.imds.tokens import InvalidMetadataToken, InvalidTtl, TokenIssuer, parse_ttl

NOW = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [("1", 1), ("21600", 21600), ("300", 300), (" 60 ", 60)])
def test_ttl_in_range(value: str, seconds: int) -> None:
    assert parse_ttl(value) == seconds


@pytest.mark.parametrize("value", [None, "", "0", "21601", "-1", "1.5", "abc", "99999999999999999999"])
def test_ttl_missing_or_out_of_range(value: str | None) -> None:
    with pytest.raises(InvalidTtl):
        parse_ttl(value)


def _issuer(instance_id: str = "i-0123456789abcdef0", seed: int = 1) -> TokenIssuer:
    return TokenIssuer(instance_id, random.Random(seed).randbytes)


def test_a_token_is_valid_until_its_ttl_runs_out() -> None:
    issuer = _issuer()
    token = issuer.issue(60, NOW)
    assert issuer.verify(token, NOW) == 60
    assert issuer.verify(token, NOW + timedelta(seconds=59)) == 1
    with pytest.raises(InvalidMetadataToken):
        issuer.verify(token, NOW + timedelta(seconds=60))


def test_a_token_works_only_on_the_endpoint_that_issued_it() -> None:
    token = _issuer(seed=1).issue(600, NOW)
    with pytest.raises(InvalidMetadataToken):
        _issuer(seed=2).verify(token, NOW)


@pytest.mark.parametrize("garbage", ["", "not base64!", "AAAA", "é"])
def test_garbage_is_not_a_token(garbage: str) -> None:
    with pytest.raises(InvalidMetadataToken):
        _issuer().verify(garbage, NOW)


def test_a_tampered_token_is_refused() -> None:
    issuer = _issuer()
    token = issuer.issue(600, NOW)
    import base64

    raw = bytearray(base64.b64decode(token))
    raw[5] ^= 1  # a later expiry
    with pytest.raises(InvalidMetadataToken):
        issuer.verify(base64.b64encode(bytes(raw)).decode(), NOW)
