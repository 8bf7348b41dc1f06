"""JSON Web Tokens (RFC 7519) in JWS compact serialisation (RFC 7515), verified with the
public keys of a JWK set (RFC 7517, algorithms of RFC 7518).

The JOSE work (decoding the compact serialisation, importing JWKs, signing and verifying)
is joserfc's; this module holds AWS's policy over it. Only asymmetric algorithms are
accepted: RS256/384/512, PS256/384/512 and ES256/384/512, with RSA keys of 2048 bits or
more. ``none`` and the HMAC algorithms are refused, whatever the header says, as AWS
refuses them. Verification raises ``TokenError``; it never returns a bool.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwk, jws
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.util import urlsafe_b64decode

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
MIN_RSA_BITS = 2048
# STS caps a WebIdentityToken at 20,000 characters; joserfc's smaller default limits (a
# 512-byte header) would refuse tokens AWS accepts, such as a header carrying an x5c chain.
_MAX_PART_BYTES = 20_000


def _registry() -> jws.JWSRegistry:
    # Not strict about header parameters: issuers add their own, and AWS ignores them.
    registry = jws.JWSRegistry(algorithms=ALGORITHMS, strict_check_header=False)
    registry.max_header_length = registry.max_payload_length = _MAX_PART_BYTES
    registry.max_signature_length = _MAX_PART_BYTES
    return registry


_REGISTRY = _registry()


class TokenError(Exception):
    """The token is not a well-formed JWT, or its signature does not verify."""


class KeyNotFound(TokenError):
    """No key of the JWK set matches the token's ``kid`` and algorithm."""


@dataclass(frozen=True)
class Token:
    header: dict[str, Any]
    claims: dict[str, Any]
    compact: jws.CompactSignature


def parse(token: str) -> Token:
    """Decode a compact JWS without verifying it."""
    text = token.strip()
    parts = text.split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenError("a JWT has three non-empty parts")
    try:
        compact = jws.extract_compact(text.encode(), registry=_REGISTRY)
        # joserfc decodes the signature only when verifying; a token whose signature is not
        # base64url is not a JWT at all.
        urlsafe_b64decode(parts[2].encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError):
        raise TokenError("not a compact JWS with a JSON header and payload") from None
    if not isinstance(compact.protected, dict) or not isinstance(claims, dict):
        raise TokenError("the header and payload must be JSON objects")
    return Token(compact.headers(), claims, compact)


def select_key(token: Token, keys: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The JWK the token names by ``kid`` (or the only one that suits its algorithm)."""
    alg = token.header.get("alg")
    if alg not in ALGORITHMS:
        raise TokenError(f"algorithm {alg!r} is not accepted")
    wanted = "EC" if str(alg).startswith("ES") else "RSA"
    kid = token.header.get("kid")
    candidates = [
        key for key in keys
        if key.get("kty") == wanted and key.get("use", "sig") == "sig" and key.get("alg", alg) == alg
        and (kid is None or key.get("kid") == kid)
    ]
    if kid is None and len(candidates) != 1:
        raise KeyNotFound("the token names no key and the set has no single key for its algorithm")
    if not candidates:
        raise KeyNotFound(f"no key with kid {kid!r}")
    return candidates[0]


def verify(token: Token, key: Mapping[str, Any]) -> None:
    """Check the token's signature with the JWK ``key``; raises ``TokenError`` when it does not verify."""
    try:
        imported = jwk.import_key(dict(key))
    except (JoseError, ValueError, TypeError, KeyError):
        raise TokenError("the JWK is malformed") from None
    if isinstance(imported, jwk.RSAKey) and imported.raw_value.key_size < MIN_RSA_BITS:
        raise TokenError("the key does not suit the algorithm")
    try:
        valid = jws.validate_compact(token.compact, imported, registry=_REGISTRY)
    except (JoseError, ValueError):
        # A refused algorithm, a key of the wrong type or curve, a bad critical header.
        raise TokenError("the key does not suit the token") from None
    if not valid:
        raise TokenError("the signature does not verify")


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def _jwk(key: PrivateKey | PublicKey, parameters: jwk.KeyParameters | None = None) -> jwk.RSAKey | jwk.ECKey:
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return jwk.RSAKey.import_key(key, parameters)
    return jwk.ECKey.import_key(key, parameters)


def sign(claims: Mapping[str, Any], private_key: PrivateKey, kid: str, alg: str, typ: str = "JWT") -> str:
    """A compact JWS of ``claims`` (iamd's own tokens: GetWebIdentityToken)."""
    return jose_jwt.encode({"alg": alg, "kid": kid, "typ": typ}, dict(claims), _jwk(private_key),
                           registry=_REGISTRY)


def jwk_of(key: PublicKey, kid: str, alg: str) -> dict[str, Any]:
    """The public JWK of ``key`` (for a JWKS document)."""
    return dict(_jwk(key, {"kid": kid, "alg": alg, "use": "sig"}).as_dict(private=False))
