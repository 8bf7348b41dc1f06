"""JSON Web Tokens (RFC 7519) in JWS compact serialisation (RFC 7515), verified with the
public keys of a JWK set (RFC 7517, algorithms of RFC 7518).

Only asymmetric algorithms are accepted: RS256/384/512 and ES256/384/512 (PS* too). ``none``
and the HMAC algorithms are refused, whatever the header says, as AWS refuses them.
Verification raises ``TokenError``; it never returns a bool.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "P-256": (ec.SECP256R1(), 32), "P-384": (ec.SECP384R1(), 48), "P-521": (ec.SECP521R1(), 66),
}
_ALG_CURVE = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class TokenError(Exception):
    """The token is not a well-formed JWT, or its signature does not verify."""


class KeyNotFound(TokenError):
    """No key of the JWK set matches the token's ``kid`` and algorithm."""


@dataclass(frozen=True)
class Token:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or any(ch in text for ch in "+/="):
        raise TokenError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("not base64url") from None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def parse(token: str) -> Token:
    """Split and decode a compact JWS without verifying it."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenError("a JWT has three non-empty parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise TokenError("the header and payload must be JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenError("the header and payload must be JSON objects")
    return Token(header, claims, f"{parts[0]}.{parts[1]}".encode(), b64url_decode(parts[2]))


def public_key(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    """The public key a JWK describes (RSA or EC)."""
    kty = jwk.get("kty")
    try:
        if kty == "RSA":
            n = int.from_bytes(b64url_decode(str(jwk["n"])), "big")
            e = int.from_bytes(b64url_decode(str(jwk["e"])), "big")
            return rsa.RSAPublicNumbers(e, n).public_key()
        if kty == "EC":
            curve, _ = _CURVES[str(jwk["crv"])]
            x = int.from_bytes(b64url_decode(str(jwk["x"])), "big")
            y = int.from_bytes(b64url_decode(str(jwk["y"])), "big")
            return ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    except (KeyError, ValueError):
        raise TokenError("the JWK is malformed") from None
    raise TokenError(f"unsupported key type {kty!r}")


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


def verify(token: Token, jwk: Mapping[str, Any]) -> None:
    """Check the token's signature with ``jwk``; raises ``TokenError`` when it does not verify."""
    alg = str(token.header.get("alg"))
    if alg not in ALGORITHMS:
        raise TokenError(f"algorithm {alg!r} is not accepted")
    key = public_key(jwk)
    digest = _HASHES[alg[2:]]()
    try:
        if alg.startswith("ES"):
            if not isinstance(key, ec.EllipticCurvePublicKey) or jwk.get("crv") != _ALG_CURVE[alg]:
                raise TokenError("the key does not suit the algorithm")
            size = _CURVES[_ALG_CURVE[alg]][1]
            if len(token.signature) != 2 * size:
                raise TokenError("bad signature length")
            r = int.from_bytes(token.signature[:size], "big")
            s = int.from_bytes(token.signature[size:], "big")
            key.verify(encode_dss_signature(r, s), token.signing_input, ec.ECDSA(digest))
        else:
            if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
                raise TokenError("the key does not suit the algorithm")
            pad: padding.AsymmetricPadding = (
                padding.PKCS1v15() if alg.startswith("RS")
                else padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
            )
            key.verify(token.signature, token.signing_input, pad, digest)
    except InvalidSignature:
        raise TokenError("the signature does not verify") from None


def sign(claims: Mapping[str, Any], private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
         kid: str, alg: str, typ: str = "JWT") -> str:
    """A compact JWS of ``claims`` (iamd's own tokens: GetWebIdentityToken)."""
    header = {"alg": alg, "kid": kid, "typ": typ}
    signing_input = (
        b64url_encode(json.dumps(header, separators=(",", ":")).encode()) + "."
        + b64url_encode(json.dumps(dict(claims), separators=(",", ":")).encode())
    )
    digest = _HASHES[alg[2:]]()
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        size = _CURVES[_ALG_CURVE[alg]][1]
        r, s = decode_dss_signature(private_key.sign(signing_input.encode(), ec.ECDSA(digest)))
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        signature = private_key.sign(signing_input.encode(), padding.PKCS1v15(), digest)
    return signing_input + "." + b64url_encode(signature)


def jwk_of(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey, kid: str, alg: str) -> dict[str, str]:
    """The public JWK of ``key`` (for a JWKS document)."""
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "kid": kid, "alg": alg, "use": "sig", "n": b64url_encode(n), "e": b64url_encode(e)}
    point = key.public_numbers()
    crv = _ALG_CURVE[alg]
    size = _CURVES[crv][1]
    return {"kty": "EC", "kid": kid, "alg": alg, "use": "sig", "crv": crv,
            "x": b64url_encode(point.x.to_bytes(size, "big")), "y": b64url_encode(point.y.to_bytes(size, "big"))}
