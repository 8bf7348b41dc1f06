"""Where issuers' keys come from: the discovery document, the cache, offline sets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from iamd.services.federation import jwks

ISSUER = "https://issuer.example"


class FakeIssuer:
    def __init__(self) -> None:
        self.keys = [{"kty": "RSA", "kid": "one"}]
        self.fetched: list[str] = []

    def __call__(self, url: str, thumbprints: Sequence[str]) -> Any:
        self.fetched.append(url)
        if url.endswith("/.well-known/openid-configuration"):
            return {"issuer": ISSUER, "jwks_uri": ISSUER + "/keys"}
        return {"keys": list(self.keys)}


def test_discovery_then_jwks_then_the_cache() -> None:
    fake = FakeIssuer()
    source = jwks.KeySource(fetch=fake)
    assert source.keys(ISSUER + "/", [], now=0) == [{"kty": "RSA", "kid": "one"}]
    assert fake.fetched == [ISSUER + "/.well-known/openid-configuration", ISSUER + "/keys"]
    source.keys(ISSUER, [], now=100)
    assert len(fake.fetched) == 2  # cached
    source.keys(ISSUER, [], now=jwks.TTL_SECONDS + 1)
    assert len(fake.fetched) == 4  # expired: fetched again


def test_an_unknown_key_refetches_at_most_once_a_minute() -> None:
    fake = FakeIssuer()
    source = jwks.KeySource(fetch=fake)
    source.keys(ISSUER, [], now=0)
    fake.keys = [{"kty": "RSA", "kid": "two"}]
    assert source.keys(ISSUER, [], now=10, stale=True) == [{"kty": "RSA", "kid": "one"}]
    assert source.keys(ISSUER, [], now=jwks.REFETCH_SECONDS, stale=True) == [{"kty": "RSA", "kid": "two"}]


def test_thumbprints_are_part_of_the_cache_key() -> None:
    fake = FakeIssuer()
    source = jwks.KeySource(fetch=fake)
    source.keys(ISSUER, ["a" * 40], now=0)
    source.keys(ISSUER, ["b" * 40], now=1)
    assert len(fake.fetched) == 4


def test_offline_sets_are_never_fetched() -> None:
    fake = FakeIssuer()
    source = jwks.KeySource(offline={ISSUER: {"keys": [{"kty": "EC", "kid": "off"}]}}, fetch=fake)
    assert source.keys(ISSUER + "/", [], now=0) == [{"kty": "EC", "kid": "off"}]
    assert fake.fetched == []
    closed = jwks.KeySource(fetch=fake, fetching_enabled=False)
    with pytest.raises(jwks.KeysUnavailable):
        closed.keys(ISSUER, [], now=0)


def test_only_https_is_fetched() -> None:
    with pytest.raises(jwks.KeysUnavailable):
        jwks.https_get("http://127.0.0.1:1/keys", [])
