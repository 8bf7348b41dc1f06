"""The test IdP's OpenID Connect side: discovery document, JWK set, ID tokens."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeyParameters, RSAKey

from iamd.idp.keys import IdpState

ALGORITHMS = ("RS256", "ES256")


def discovery(state: IdpState) -> dict[str, Any]:
    issuer = state.issuer
    return {
        "issuer": issuer,
        "jwks_uri": issuer + "/.well-known/jwks.json",
        "authorization_endpoint": issuer + "/authorize",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "claims_supported": ["sub", "aud", "exp", "iat", "iss", "nbf", "amr"],
    }


def _key(state: IdpState, alg: str) -> RSAKey | ECKey:
    parameters: KeyParameters = {"use": "sig", "alg": alg, "kid": state.kid(alg)}
    if alg == "ES256":
        return ECKey.import_key(state.ec_key, parameters)
    if alg == "RS256":
        return RSAKey.import_key(state.rsa_key, parameters)
    raise ValueError(f"the test IdP signs with RS256 or ES256, not {alg}")


def jwks(state: IdpState) -> dict[str, Any]:
    return {"keys": [dict(_key(state, alg).as_dict(private=False)) for alg in ALGORITHMS]}


def mint(state: IdpState, *, subject: str, audience: str | list[str], now: int, ttl: int = 3600,
         alg: str = "RS256", extra: Mapping[str, Any] | None = None) -> str:
    """An ID token for ``subject``, signed with the IdP's RS256 or ES256 key."""
    claims: dict[str, Any] = {
        "iss": state.issuer, "sub": subject, "aud": audience,
        "iat": now, "nbf": now, "exp": now + ttl, "jti": str(uuid.uuid4()),
    }
    claims.update(extra or {})
    key = _key(state, alg)
    return jwt.encode({"alg": alg, "kid": state.kid(alg)}, claims, key, algorithms=[alg])
