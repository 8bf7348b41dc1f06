"""AssumeRoleWithWebIdentity: a role session for the bearer of an OpenID Connect ID token.

The call is unsigned: the JWT is the credential. iamd checks, in AWS's order:

1. the token is a JWT (three base64url parts, JSON header and claims);
2. its ``iss`` names an OpenID Connect provider of the role's account (the URL without
   ``https://``), or a well-known provider that needs none (``accounts.google.com``,
   ``cognito-identity.amazonaws.com``);
3. its signature verifies with a key of the issuer's JWK set (see ``jwks``; RS*/ES*/PS*);
4. it has not expired (``exp``, ExpiredTokenException), is already valid (``nbf``, with
   five minutes of clock skew) and was not issued in the future (``iat``);
5. its ``aud`` (or ``azp``) is one of the provider's client ids;
6. the role's trust policy allows the provider, with the condition keys
   ``<provider>:aud``, ``<provider>:sub``, ``<provider>:amr`` (and for Google ``:oaud``,
   ``:email``), ``aws:FederatedProvider`` and ``sts:RoleSessionName``.

Session tags and a source identity come from the token's ``https://aws.amazon.com/tags``
and ``https://aws.amazon.com/source_identity`` claims, as AWS reads them.
"""

from __future__ import annotations

import re
from typing import Any

from iamd.protocol.errors import (
    ExpiredTokenException,
    IDPCommunicationError,
    IDPRejectedClaim,
    InvalidIdentityToken,
    ServiceError,
)
from iamd.services.federation import jwks, jwt
from iamd.services.federation.oidc_providers import provider_arn
from iamd.services.federation.role_session import FederatedRequest, audit_identity, issue
from iamd.services.iam.tagging import validate as validate_tags
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.session_issue import ROLE_ARN

ACTION = "sts:AssumeRoleWithWebIdentity"
CLOCK_SKEW_SECONDS = 300
# Providers AWS trusts without an IAM OIDC provider: their name is the trust principal.
WELL_KNOWN = ("accounts.google.com", "cognito-identity.amazonaws.com")
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"

NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)
BAD_SIGNATURE = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."
THUMBPRINT = "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
UNREACHABLE = (
    "The identity provider could not be reached to verify the web identity token. "
    "Retry the request later."
)
_SOURCE_IDENTITY = re.compile(r"[\w+=,.@-]{2,64}")


def _key_source(context: OperationContext) -> jwks.KeySource:
    source = context.extras.get("oidc_keys")
    return source if isinstance(source, jwks.KeySource) else jwks.default_source()


@operation("sts", "AssumeRoleWithWebIdentity")
def assume_role_with_web_identity(context: OperationContext, params: Params) -> Output:
    role_arn: str = params["RoleArn"]
    identity = audit_identity(context, "AssumeRoleWithWebIdentity", role_arn)
    if params.get("ProviderId"):
        # OAuth 2.0 access tokens (Login with Amazon, Facebook) are verified by calling the
        # provider's own API, which an offline deployment cannot do.
        raise InvalidIdentityToken(f"Provider {params['ProviderId']} is not supported: pass an OpenID Connect ID token.")
    try:
        token = jwt.parse(params["WebIdentityToken"])
    except jwt.TokenError:
        raise InvalidIdentityToken(NOT_A_JWT) from None
    claims = token.claims
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise InvalidIdentityToken(NOT_A_JWT)

    match = ROLE_ARN.fullmatch(role_arn)
    account = match.group(2) if match else ""
    partition = match.group(1) if match else context.caller.partition
    bare = re.sub(r"^https://", "", issuer).rstrip("/")
    if bare in WELL_KNOWN:
        principal, client_ids, thumbprints = bare, None, []
    else:
        arn = provider_arn(partition, account, bare)
        with context.db.reading() as unit:
            record = unit.identity_providers.get_oidc(arn)
        if record is None or not issuer.startswith("https://"):
            raise InvalidIdentityToken(f"No OpenIDConnect provider found in your account for {issuer}")
        principal, client_ids, thumbprints = arn, record.client_ids, record.thumbprints
    identity.identity_provider = principal

    _verify_signature(context, token, "https://" + bare, thumbprints)
    now = int(context.runtime.now().timestamp())
    _check_times(claims, now)
    audience = _check_audience(claims, client_ids)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidIdentityToken("The token has no sub claim.")
    identity.principal_id = f"{principal}:{audience}:{subject}"
    identity.user_name = subject

    keys: dict[str, Any] = {f"{bare}:sub": subject, f"{bare}:aud": audience}
    if bare == "accounts.google.com":
        keys[f"{bare}:oaud"] = _audiences(claims)
        if isinstance(claims.get("email"), str):
            keys[f"{bare}:email"] = claims["email"]
    amr = claims.get("amr")
    if isinstance(amr, str):
        amr = [amr]
    if isinstance(amr, list) and all(isinstance(item, str) for item in amr):
        keys[f"{bare}:amr"] = amr
    tags, transitive = _session_tags(claims)
    source_identity = claims.get(SOURCE_IDENTITY_CLAIM)
    if source_identity is not None and (
        not isinstance(source_identity, str) or not _SOURCE_IDENTITY.fullmatch(source_identity)
    ):
        raise IDPRejectedClaim("The source identity in the web identity token is not valid.")

    issued = issue(context, params, FederatedRequest(
        action=ACTION,
        role_arn=role_arn,
        principal=principal,
        session_name=params["RoleSessionName"],
        condition_keys=keys,
        duration_seconds=params.get("DurationSeconds"),
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=source_identity,
    ))
    output = issued.output
    output["SubjectFromWebIdentityToken"] = subject
    output["Provider"] = principal
    output["Audience"] = audience
    return output


def _verify_signature(context: OperationContext, token: jwt.Token, issuer: str, thumbprints: list[str]) -> None:
    source = _key_source(context)
    now = context.runtime.now().timestamp()
    stale = False
    while True:
        try:
            keys = source.keys(issuer, thumbprints, now, stale=stale)
        except jwks.FetchError:
            raise IDPCommunicationError(UNREACHABLE) from None
        except jwks.ThumbprintMismatch:
            raise InvalidIdentityToken(THUMBPRINT) from None
        except jwks.KeysUnavailable:
            raise InvalidIdentityToken(NO_KEY) from None
        try:
            key = jwt.select_key(token, keys)
        except jwt.KeyNotFound:
            if stale:
                raise InvalidIdentityToken(NO_KEY) from None
            stale = True
            continue
        except jwt.TokenError:
            raise InvalidIdentityToken(BAD_SIGNATURE) from None
        break
    try:
        jwt.verify(token, key)
    except jwt.TokenError:
        raise InvalidIdentityToken(BAD_SIGNATURE) from None


def _number(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidIdentityToken(f"The {name} claim of the token is not a number.")
    return int(value)


def _check_times(claims: dict[str, Any], now: int) -> None:
    expires = _number(claims, "exp")
    if expires is None:
        raise InvalidIdentityToken("The token has no exp claim.")
    if now >= expires:
        raise ExpiredTokenException(
            f"Token expired: current date/time {now} must be before the expiration date/time {expires}"
        )
    not_before = _number(claims, "nbf")
    if not_before is not None and now + CLOCK_SKEW_SECONDS < not_before:
        raise InvalidIdentityToken(f"Token is not yet valid: current date/time {now} is before {not_before}")
    issued_at = _number(claims, "iat")
    if issued_at is not None and now + CLOCK_SKEW_SECONDS < issued_at:
        raise InvalidIdentityToken(f"Token was issued in the future: iat {issued_at} is after {now}")


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [item for item in aud if isinstance(item, str)]
    return []


def _check_audience(claims: dict[str, Any], client_ids: list[str] | None) -> str:
    """The audience the token was accepted for: an ``aud`` (or ``azp``) among the client ids."""
    audiences = _audiences(claims)
    raw_azp = claims.get("azp")
    azp = raw_azp if isinstance(raw_azp, str) else None
    if client_ids is None:
        # Well-known providers: Google's aud condition key is the azp (the app's client id).
        if not audiences:
            raise InvalidIdentityToken("Incorrect token audience")
        return azp or audiences[0]
    for audience in audiences:
        if audience in client_ids:
            return audience
    if azp is not None and azp in client_ids:
        return azp
    raise InvalidIdentityToken("Incorrect token audience")


def _session_tags(claims: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    raw = claims.get(TAGS_CLAIM)
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        raise IDPRejectedClaim("The session tags claim of the web identity token is not valid.")
    tags: dict[str, str] = {}
    for key, value in (raw.get("principal_tags") or {}).items():
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str) or not isinstance(key, str):
            raise IDPRejectedClaim("The session tags claim of the web identity token is not valid.")
        tags[key] = value
    transitive = raw.get("transitive_tag_keys") or []
    if not isinstance(transitive, list) or any(key not in tags for key in transitive):
        raise IDPRejectedClaim("The transitive tag keys of the web identity token must name its session tags.")
    try:
        validate_tags([{"Key": k, "Value": v} for k, v in tags.items()])
    except ServiceError:
        raise IDPRejectedClaim("The session tags claim of the web identity token is not valid.") from None
    if len(tags) > 50:
        raise IDPRejectedClaim("The web identity token passes more than 50 session tags.")
    return tags, list(transitive)
