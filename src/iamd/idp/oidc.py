"""The test IdP's OpenID Connect side: discovery document, JWK set, ID tokens."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from iamd.idp.keys import IdpState


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _int(value: int, size: int | None = None) -> str:
    return _b64(value.to_bytes(size or (value.bit_length() + 7) // 8, "big"))


def discovery(state: IdpState) -> dict[str, Any]:
    issuer = state.issuer
    return {
        "issuer": issuer,
        "jwks_uri": issuer + "/.well-known/jwks.json",
        "authorization_endpoint": issuer + "/authorize",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "claims_supported": ["sub", "aud", "exp", "iat", "iss", "nbf", "amr"],
    }


def jwks(state: IdpState) -> dict[str, Any]:
    rsa_numbers = state.rsa_key.public_key().public_numbers()
    ec_numbers = state.ec_key.public_key().public_numbers()
    return {"keys": [
        {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": state.kid("RS256"),
         "n": _int(rsa_numbers.n), "e": _int(rsa_numbers.e)},
        {"kty": "EC", "use": "sig", "alg": "ES256", "kid": state.kid("ES256"), "crv": "P-256",
         "x": _int(ec_numbers.x, 32), "y": _int(ec_numbers.y, 32)},
    ]}


def mint(state: IdpState, *, subject: str, audience: str | list[str], now: int, ttl: int = 3600,
         alg: str = "RS256", extra: Mapping[str, Any] | None = None) -> str:
    """An ID token for ``subject``, signed with the IdP's RS256 or ES256 key."""
    claims: dict[str, Any] = {
        "iss": state.issuer, "sub": subject, "aud": audience,
        "iat": now, "nbf": now, "exp": now + ttl, "jti": str(uuid.uuid4()),
    }
    claims.update(extra or {})
    header = {"alg": alg, "typ": "JWT", "kid": state.kid(alg)}
    signing_input = (_b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())).encode()
    if alg == "ES256":
        assert isinstance(state.ec_key, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(state.ec_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif alg == "RS256":
        assert isinstance(state.rsa_key, rsa.RSAPrivateKey)
        signature = state.rsa_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError(f"the test IdP signs with RS256 or ES256, not {alg}")
    return signing_input.decode() + "." + _b64(signature)
