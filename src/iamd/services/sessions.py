"""Temporary security credentials: stateless, authenticated-encrypted session tokens.

A session token carries everything iamd must know about a temporary session — the
account, who the session is (a role session, a federated user, or a user's or the root
user's GetSessionToken session), its expiry, session policies, session tags, MFA and
source identity — plus the temporary secret access key itself. It is sealed with
AES-256-GCM under a subkey of the master key and bound to its ``ASIA...`` access key id,
so AssumeRole writes nothing and any iamd node holding the master key can verify it.
A token that does not open (tampered, another deployment's, another key id's) is
``InvalidClientTokenId``; one past its expiry is ``ExpiredToken``.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from iamd.protocol.errors import ExpiredToken, InvalidClientTokenId
from iamd.services import identifiers
from iamd.services.crypto import SealError, SecretBox
from iamd.services.runtime import Runtime

PURPOSE = "session-token"
_FORMAT = 1

INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


@dataclass(frozen=True)
class Session:
    """What a session token says about its session."""

    kind: str  # "AssumedRole" | "FederatedUser" | "User" | "Account" (GetSessionToken)
    account_id: str
    access_key_id: str
    secret_access_key: str
    issued_at: int  # epoch seconds
    expires_at: int
    # The long-term identity behind GetSessionToken / GetFederationToken sessions.
    user_id: str | None = None
    user_name: str | None = None
    user_path: str = "/"
    # Role sessions.
    role_id: str | None = None
    role_name: str | None = None
    role_path: str = "/"
    session_name: str | None = None
    chained: bool = False
    # Federated users: the name given to GetFederationToken.
    federated_name: str | None = None
    policy: str | None = None
    policy_arns: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: list[str] = field(default_factory=list)
    mfa_authenticated: bool = False
    mfa_authenticated_at: int | None = None
    source_identity: str | None = None

    @property
    def expiration(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, UTC)

    @property
    def issue_time(self) -> datetime:
        return datetime.fromtimestamp(self.issued_at, UTC)


_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def new_key_pair(runtime: Runtime, account_id: str) -> tuple[str, str]:
    """A fresh ``ASIA...`` access key id and its secret.

    Like AWS's, the key id carries its account: eight base-32 characters of the account
    number follow ``ASIA``, then eight random ones, so GetAccessKeyInfo can answer for
    temporary keys without any stored state.
    """
    number = int(account_id)
    encoded = "".join(_BASE32[(number >> (5 * i)) & 31] for i in reversed(range(8)))
    random_part = identifiers.access_key_id(runtime.random_bytes, temporary=True)[4:12]
    return "ASIA" + encoded + random_part, identifiers.secret_access_key(runtime.random_bytes)


def new_role_session(
    runtime: Runtime, account_id: str, role_id: str, role_name: str, role_path: str, session_name: str,
    issued_at: datetime, expires_at: int, **fields: Any,
) -> Session:
    """A role session with fresh temporary keys (AssumeRole, federation, service sessions);
    ``fields`` are the kind's own (session policies, tags, MFA, source identity...)."""
    key_id, secret = new_key_pair(runtime, account_id)
    return Session(
        kind="AssumedRole", account_id=account_id, access_key_id=key_id, secret_access_key=secret,
        issued_at=int(issued_at.timestamp()), expires_at=expires_at, role_id=role_id, role_name=role_name,
        role_path=role_path, session_name=session_name, **fields,
    )


def account_of_temporary_key(access_key_id: str) -> str | None:
    """The account encoded in an ``ASIA...`` key id made by ``new_key_pair``."""
    encoded = access_key_id[4:12]
    if len(access_key_id) != 20 or any(ch not in _BASE32 for ch in encoded):
        return None
    number = 0
    for ch in encoded:
        number = number * 32 + _BASE32.index(ch)
    return f"{number:012d}" if number < 10**12 else None


def issue(box: SecretBox, session: Session) -> str:
    """The session token for ``session``: sealed, compressed, base64 (URL-safe) text."""
    payload = json.dumps({"f": _FORMAT, **asdict(session)}, separators=(",", ":")).encode()
    sealed = box.seal(PURPOSE, zlib.compress(payload, 9), context=session.access_key_id.encode())
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def open_token(box: SecretBox, access_key_id: str, token: str, now: datetime) -> Session:
    """The session a token describes; raises if it is not genuine or has expired."""
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload: dict[str, Any] = json.loads(
            zlib.decompress(box.open(PURPOSE, sealed, context=access_key_id.encode()))
        )
    except (SealError, binascii.Error, ValueError, zlib.error):
        raise InvalidClientTokenId(INVALID_TOKEN) from None
    if payload.pop("f", None) != _FORMAT:
        raise InvalidClientTokenId(INVALID_TOKEN)
    try:
        session = Session(**payload)
    except TypeError:
        raise InvalidClientTokenId(INVALID_TOKEN) from None
    if session.access_key_id != access_key_id:
        raise InvalidClientTokenId(INVALID_TOKEN)
    if now.timestamp() >= session.expires_at:
        raise ExpiredToken(EXPIRED_TOKEN)
    return session


def packed_size(policy: str | None, policy_arns: list[str], tags: dict[str, str]) -> int:
    """How much of the packed session-policy-and-tags allowance a session uses, in percent.

    AWS packs session policies, policy ARNs and session tags into a compressed binary
    form with a size limit, and reports the share used as PackedPolicySize. iamd packs
    them with zlib against a 2,048-byte allowance, which tracks AWS's figure closely for
    ordinary inputs.
    """
    packed = zlib.compress(
        json.dumps([policy or "", policy_arns, sorted(tags.items())], separators=(",", ":")).encode(), 9
    )
    return max(1, round(len(packed) * 100 / PACKED_LIMIT_BYTES)) if (policy or policy_arns or tags) else 0


PACKED_LIMIT_BYTES = 2048
