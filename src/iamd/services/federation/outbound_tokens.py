"""STS GetWebIdentityToken: iamd as an OpenID Connect issuer for its own principals.

An account that enabled outbound web identity federation (IAM's
EnableOutboundWebIdentityFederation) has an issuer identifier,
``https://<uuid>.tokens.sts.global.api.aws``. GetWebIdentityToken answers a JWT that
issuer signed for the caller, as AWS documents the token:

* ``iss`` the account's issuer identifier, ``sub`` the caller's principal ARN (the role's
  ARN for a role session, as AWS puts it), ``aud`` the requested audience (a string for
  one, a list for several), ``iat``, ``exp`` and a random ``jti``; AWS's discovery document
  lists no ``nbf``, and the token has none;
* under ``https://sts.amazonaws.com/``: ``aws_account``, ``source_region``,
  ``principal_id`` (the principal's ARN), ``principal_tags`` (the IAM user's or role's tags
  and the session's tags) and ``request_tags`` (the request's Tags). iamd accounts belong
  to no organization, so ``org_id`` and ``ou_path`` never appear.

The signing algorithm is RS256 (RSA, 2048 bits) or ES384 (P-384), as the request asks.
Each account has one key per algorithm, made at the first token that needs it and stored
with its private half sealed under the master key. The issuer's discovery document and
JWK set (``discovery_document``, ``jwks_document``) are what iamd serves at
``/.well-known/openid-configuration`` and ``/.well-known/jwks.json`` (see
``iamd.server.app``); they keep serving a disabled account's keys, so tokens issued before
the account disabled the feature still verify until they expire.

The request is authorized as ``sts:GetWebIdentityToken`` with the condition keys
``sts:IdentityTokenAudience`` (multivalued), ``sts:SigningAlgorithm`` and
``sts:DurationSeconds``, plus ``sts:TagGetWebIdentityToken`` when it passes Tags. Errors:
``OutboundWebIdentityFederationDisabledException`` when the account has not enabled the
feature; ``SessionDurationEscalationException`` when the token would outlive the calling
session; ``JWTPayloadSizeExceededException`` above 16 KiB of claims; ``ValidationError``
for a signing algorithm other than RS256 and ES384, and for the workload-identity forms
(``TokenType``, ``SubjectMode=OriginIdentity``, ``Scope``), which need a trusted identity
propagation context or a workload identity no iamd session carries.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from iamd.protocol.errors import (
    JWTPayloadSizeExceeded,
    OutboundWebIdentityFederationDisabled,
    SessionDurationEscalation,
    ValidationError,
)
from iamd.services.crypto import SecretBox
from iamd.services.federation import jwt
from iamd.services.iam.outbound_federation import STATE_SETTING, federation_state
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.store import Database, DuplicateKey, UnitOfWork
from iamd.store.signing_keys import SigningKeyRecord

KEY_PURPOSE = "web-identity-signing-key"
ALGORITHMS = ("RS256", "ES384")
DEFAULT_DURATION = 300
MAX_PAYLOAD_BYTES = 16 * 1024
NAMESPACE = "https://sts.amazonaws.com/"
CLAIMS_SUPPORTED = ["sub", "iss", "aud", "exp", "iat", "jti", NAMESPACE]

DISABLED = "Outbound web identity federation is disabled for this account."
ESCALATION = (
    "The requested token duration would extend the session beyond its original expiration time."
)


@operation("sts", "GetWebIdentityToken")
def get_web_identity_token(context: OperationContext, params: Params) -> Output:
    caller = context.caller
    algorithm = params["SigningAlgorithm"]
    if algorithm not in ALGORITHMS:
        raise ValidationError(
            f"1 validation error detected: Value '{algorithm}' at 'signingAlgorithm' failed to satisfy "
            "constraint: Member must satisfy enum value set: [RS256, ES384]"
        )
    _check_token_form(params)
    duration = int(params.get("DurationSeconds") or DEFAULT_DURATION)
    now = context.runtime.now()
    expires = now + timedelta(seconds=duration)
    if caller.session is not None and int(expires.timestamp()) > caller.session.expires_at:
        raise SessionDurationEscalation(ESCALATION)

    with context.db.reading() as unit:
        state = federation_state(unit, caller.account_id)
        if state is None or not state.enabled:
            raise OutboundWebIdentityFederationDisabled(DISABLED)
        principal_tags = _principal_tags(unit, context)
        record = unit.signing_keys.get(caller.account_id, algorithm)
    if record is None:
        record = _create_key(context, algorithm)

    audiences = list(params["Audience"])
    principal = caller.principal_arn or caller.arn
    aws_claims: dict[str, Any] = {
        "aws_account": caller.account_id,
        "source_region": caller.region,
        "principal_id": principal,
    }
    if principal_tags:
        aws_claims["principal_tags"] = principal_tags
    request_tags = {tag["Key"]: tag.get("Value", "") for tag in params.get("Tags") or []}
    if request_tags:
        aws_claims["request_tags"] = request_tags
    claims: dict[str, Any] = {
        "iss": state.issuer_identifier,
        "aud": audiences[0] if len(audiences) == 1 else audiences,
        "sub": principal,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": str(uuid.UUID(bytes=context.runtime.random_bytes(16), version=4)),
        NAMESPACE: aws_claims,
    }
    if len(json.dumps(claims, separators=(",", ":")).encode()) > MAX_PAYLOAD_BYTES:
        raise JWTPayloadSizeExceeded(
            "The requested token payload size exceeds the maximum allowed size. "
            "Reduce the number of request tags."
        )
    private_key = _open_key(context.box, record)
    token = jwt.sign(claims, private_key, record.key_id, algorithm)
    return {"WebIdentityToken": token, "Expiration": datetime.fromtimestamp(claims["exp"], UTC)}


def _check_token_form(params: Params) -> None:
    if params.get("TokenType") is not None and (params.get("SubjectMode") is not None or params.get("Scope")):
        raise ValidationError("TokenType cannot be specified together with SubjectMode or Scope.")
    if params.get("TokenType") == "JWT_SVID":
        raise ValidationError(
            "A JWT_SVID can be requested only by a role session that has a workload identity."
        )
    if params.get("SubjectMode") == "OriginIdentity":
        raise ValidationError(
            "SubjectMode OriginIdentity requires an aws:OriginIdentity/Subject key in the trusted identity "
            "propagation context of the calling session."
        )
    if params.get("Scope"):
        raise ValidationError("Scope can be specified only when SubjectMode is OriginIdentity.")


def _principal_tags(unit: UnitOfWork, context: OperationContext) -> dict[str, str]:
    caller = context.caller
    tags: dict[str, str] = {}
    session = caller.session
    if caller.kind == "User" and caller.entity_id:
        tags.update(unit.tags.list("user", caller.entity_id))
    elif caller.kind == "AssumedRole" and session is not None and session.role_id:
        tags.update(unit.tags.list("role", session.role_id))
    if session is not None:
        tags.update(session.tags)
    return tags


def _create_key(context: OperationContext, algorithm: str) -> SigningKeyRecord:
    """The account's key for ``algorithm``, made now; a key another request made first wins."""
    account_id = context.caller.account_id
    private_key: jwt.PrivateKey
    if algorithm == "RS256":
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        prefix = "RSA"
    else:
        private_key = ec.generate_private_key(ec.SECP384R1())
        prefix = "EC"
    key_id = f"{prefix}_{context.runtime.random_bytes(12).hex()}"
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    record = SigningKeyRecord(
        key_id=key_id, account_id=account_id, algorithm=algorithm,
        private_key_sealed=context.box.seal(KEY_PURPOSE, pem, context=key_id.encode()),
        public_jwk=json.dumps(jwt.jwk_of(private_key.public_key(), key_id, algorithm), sort_keys=True),
        created_at=context.runtime.now(),
    )
    with context.db.transaction() as unit:
        try:
            unit.signing_keys.add(record)
        except DuplicateKey:
            found = unit.signing_keys.get(account_id, algorithm)
            assert found is not None
            return found
    return record


def _open_key(box: SecretBox, record: SigningKeyRecord) -> jwt.PrivateKey:
    pem = box.open(KEY_PURPOSE, record.private_key_sealed, context=record.key_id.encode())
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey))
    return key


# -- the issuer's documents ---------------------------------------------------------------

def issuer_account(db: Database, issuer: str) -> str | None:
    """The account whose issuer identifier is ``issuer`` (``https://<host>``), if any."""
    with db.reading() as unit:
        for account_id, value in unit.settings.accounts_with(STATE_SETTING):
            if isinstance(value, dict) and value.get("IssuerIdentifier") == issuer:
                return account_id
    return None


def discovery_document(issuer: str, jwks_uri: str) -> dict[str, Any]:
    """The issuer's OpenID Connect discovery document, in the form AWS serves it."""
    return {
        "issuer": issuer,
        "jwks_uri": jwks_uri,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "claims_supported": CLAIMS_SUPPORTED,
    }


def jwks_document(db: Database, account_id: str) -> dict[str, Any]:
    """The public keys of the account's issuer (a JWK set, RFC 7517)."""
    with db.reading() as unit:
        records = unit.signing_keys.list(account_id)
    return {"keys": [json.loads(record.public_jwk) for record in records]}

