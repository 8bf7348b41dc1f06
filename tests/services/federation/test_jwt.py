"""iamd's JWS verifier against tokens signed by joserfc, an independent implementation."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from iamd.services.federation import jwt

CLAIMS = {"iss": "https://issuer.example", "sub": "alice", "aud": "sts.amazonaws.com", "exp": 2_000_000_000}


def _key(alg: str) -> RSAKey | ECKey:
    if alg.startswith("ES"):
        curve = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}[alg]
        return ECKey.generate_key(curve, parameters={"kid": alg, "alg": alg, "use": "sig"})
    return RSAKey.generate_key(2048, parameters={"kid": alg, "alg": alg, "use": "sig"})


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"])
def test_tokens_signed_by_joserfc_verify(alg: str) -> None:
    key = _key(alg)
    token = jwt.parse(jose_jwt.encode({"alg": alg, "kid": alg}, CLAIMS, key, algorithms=[alg]))
    keys = [key.as_dict(private=False)]
    jwt.verify(token, jwt.select_key(token, keys))
    assert token.claims["sub"] == "alice"


def test_a_changed_payload_does_not_verify() -> None:
    key = _key("RS256")
    header, _, signature = jose_jwt.encode({"alg": "RS256", "kid": "RS256"}, CLAIMS, key).split(".")
    payload = base64.urlsafe_b64encode(json.dumps({**CLAIMS, "sub": "mallory"}).encode()).decode().rstrip("=")
    token = jwt.parse(f"{header}.{payload}.{signature}")
    with pytest.raises(jwt.TokenError):
        jwt.verify(token, jwt.select_key(token, [key.as_dict(private=False)]))


def test_symmetric_and_unsigned_algorithms_are_refused() -> None:
    secret = OctKey.generate_key(256)
    token = jwt.parse(jose_jwt.encode({"alg": "HS256"}, CLAIMS, secret))
    with pytest.raises(jwt.TokenError):
        jwt.select_key(token, [{"kty": "oct", "k": "c2VjcmV0"}])
    none = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps(CLAIMS).encode()).decode().rstrip("=")
    with pytest.raises(jwt.TokenError):
        jwt.parse(f"{none}.{body}.")


def test_a_key_of_another_kid_is_not_chosen() -> None:
    key = _key("ES256")
    token = jwt.parse(jose_jwt.encode({"alg": "ES256", "kid": "rotated"}, CLAIMS, key))
    with pytest.raises(jwt.KeyNotFound):
        jwt.select_key(token, [key.as_dict(private=False)])


@pytest.mark.parametrize("text", ["", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.AA=="])
def test_malformed_tokens(text: str) -> None:
    with pytest.raises(jwt.TokenError):
        token = jwt.parse(text)
        jwt.select_key(token, [])


def test_iamd_signed_tokens_verify_with_joserfc() -> None:
    key = _key("ES256")
    private = key.private_key
    token = jwt.sign(CLAIMS, private, kid="k", alg="ES256")
    decoded = jose_jwt.decode(token, key, algorithms=["ES256"])
    assert decoded.claims["sub"] == "alice"
    assert jwt.jwk_of(private.public_key(), "k", "ES256")["x"] == key.as_dict(private=False)["x"]
