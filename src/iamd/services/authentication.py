"""Authentication: from a signed request to the ``Caller`` behind it.

``authenticate`` is the one entry point: it finds the secret of the request's access key
(a long-term key through the ``Authenticator``, or temporary credentials by opening their
session token), verifies the SigV4 signature with it and answers the ``Caller``. Lookups are cached per process until the ``StateWatcher`` says the
stored state changed; a key that the cache does not know is always looked up, so new
accounts and keys work at once.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from iamd import sigv4
from iamd.protocol.errors import (
    ExpiredToken,
    InvalidClientTokenId,
    ServiceError,
    error_class_for_code,
)
from iamd.services import arns, sessions
from iamd.services.accounts import open_secret
from iamd.services.audit import ApiCall
from iamd.services.caller import Caller
from iamd.services.crypto import SecretBox
from iamd.services.partitions import partition_for_region
from iamd.services.state_watch import Generation, StateWatcher
from iamd.store import Database, KeyOwner

INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    """What an access key stands for, independent of the request's region."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    account_id: str
    kind: str
    user_id: str
    user_name: str | None
    path: str
    entity_id: str | None
    partition: str = "aws"
    # The secret as stored (sealed), to tell whether a stored key is still this one.
    secret_sealed: bytes = field(default=b"", repr=False)
    # This process's count of changes when the identity was read (``Database.local_changes``).
    read_at: int = 0

    def caller(self, region: str) -> Caller:
        partition = self.partition
        check_region(region, partition)
        if self.kind == "Account":
            arn = arns.root_arn(partition, self.account_id)
        else:
            arn = arns.iam_arn(partition, self.account_id, "user", self.path, self.user_name or "")
        return Caller(
            kind=self.kind,
            account_id=self.account_id,
            arn=arn,
            user_id=self.user_id,
            access_key_id=self.access_key_id,
            partition=partition,
            region=region,
            user_name=self.user_name,
            entity_id=self.entity_id,
        )


def check_region(region: str, partition: str) -> None:
    """Credentials of an account work only in the regions of the account's partition, as
    an AWS key of one partition is unknown in every other: a request signed for another
    partition's region is refused, never answered with ARNs of that partition."""
    if partition_for_region(region) != partition:
        raise InvalidClientTokenId(INVALID_TOKEN_MESSAGE)


def caller_for_session(session: sessions.Session, region: str, token: str, partition: str = "aws") -> Caller:
    """The caller behind temporary credentials of an account in ``partition``."""
    check_region(region, partition)
    account = session.account_id
    if session.kind == "AssumedRole":
        role_name = session.role_name or ""
        return Caller(
            kind="AssumedRole",
            account_id=account,
            arn=arns.assumed_role_arn(partition, account, role_name, session.session_name or ""),
            user_id=f"{session.role_id}:{session.session_name}",
            access_key_id=session.access_key_id,
            partition=partition,
            region=region,
            entity_id=session.role_id,
            session_token=token,
            tags=dict(session.tags),
            mfa_authenticated=session.mfa_authenticated,
            session=session,
            principal_arn=arns.iam_arn(partition, account, "role", session.role_path, role_name),
        )
    if session.kind == "FederatedUser":
        name = session.federated_name or ""
        return Caller(
            kind="FederatedUser",
            account_id=account,
            arn=arns.federated_user_arn(partition, account, name),
            user_id=f"{account}:{name}",
            access_key_id=session.access_key_id,
            partition=partition,
            region=region,
            entity_id=session.user_id,
            session_token=token,
            tags=dict(session.tags),
            session=session,
        )
    if session.kind == "Account":
        arn = arns.root_arn(partition, account)
        user_id = account
    else:
        arn = arns.iam_arn(partition, account, "user", session.user_path, session.user_name or "")
        user_id = session.user_id or ""
    return Caller(
        kind=session.kind,
        account_id=account,
        arn=arn,
        user_id=user_id,
        access_key_id=session.access_key_id,
        partition=partition,
        region=region,
        user_name=session.user_name,
        entity_id=session.user_id,
        session_token=token,
        mfa_authenticated=session.mfa_authenticated,
        session=session,
    )


class Authenticator:
    """Resolves long-term access keys, with a cache tied to the database's state version.

    An identity is read from its access key, its account and its user in one query
    (``_load``); the cache is dropped when this process updates or deletes rows of those
    tables, or another process changes anything. Creating a user or a key leaves it alone:
    a row added changes no identity already cached. So does this process deleting one key
    or one user by a statement confined to that row (DeleteAccessKey, DeleteUser): then
    only an identity read from that row before is read again, as each use of a cached
    identity asks the store whether its key's or its user's row changed since it was read.

    A dropped identity is read again in full before it is used, so a key deleted or
    deactivated, or a user renamed, is seen at once. Only its secret is reused, when the
    sealed secret read back is byte for byte the one opened before: opening it again
    would give the same secret at the cost of a decryption.
    """

    TABLES = ("access_keys", "accounts", "users")

    def __init__(self, db: Database, box: SecretBox, watcher: StateWatcher | None = None) -> None:
        self._db = db
        self._box = box
        self._watcher = watcher or StateWatcher(db)
        self._cache: dict[str, KeyIdentity] = {}
        # The identities of the generation before the current one: their secrets only.
        self._dropped: dict[str, KeyIdentity] = {}
        self._partitions: dict[str, str] = {}
        self._generation: Generation | None = None
        self._lock = threading.Lock()
        # The key cache's hits and misses, for the server's metrics.
        self.cache_hits = 0
        self.cache_misses = 0

    def refresh(self) -> None:
        """Drop cached identities if the stored state changed since they were loaded."""
        generation = self._watcher.generation_of(self.TABLES, except_known_rows=True)
        if generation != self._generation:
            with self._lock:
                if self._cache:
                    self._dropped = self._cache
                self._cache = {}
                self._partitions.clear()
                self._generation = generation

    def identity(self, access_key_id: str) -> KeyIdentity:
        """The identity of an active long-term key; ``InvalidClientTokenId`` otherwise."""
        cached = self._cache.get(access_key_id)
        if cached is not None and not self._rows_changed(cached):
            self.cache_hits += 1
            return cached
        self.cache_misses += 1
        loaded_in = self._generation
        identity = self._load(access_key_id, self._db.local_changes)
        with self._lock:
            # Kept only if no change was seen while it loaded: it may predate that change.
            if self._generation == loaded_in:
                self._cache[access_key_id] = identity
        return identity

    def _rows_changed(self, identity: KeyIdentity) -> bool:
        """Whether this process changed the key's or the user's row since the identity was read."""
        changed = self._db.row_changed_since
        read_at = identity.read_at
        return changed("access_keys", identity.access_key_id, read_at) or (
            identity.entity_id is not None and changed("users", identity.entity_id, read_at))

    def account_partition(self, account_id: str) -> str:
        """The partition of an account (for temporary credentials, which name their account);
        ``InvalidClientTokenId`` when the account no longer exists."""
        partition = self._partitions.get(account_id)
        if partition is None:
            with self._db.reading() as unit:
                account = unit.accounts.get(account_id)
            if account is None:
                raise InvalidClientTokenId(INVALID_TOKEN_MESSAGE)
            partition = self._partitions[account_id] = account.partition
        return partition

    def _load(self, access_key_id: str, read_at: int) -> KeyIdentity:
        """The identity as stored; ``read_at`` is this process's count of changes taken
        before it is read (an identity may predate the changes counted after)."""
        with self._db.reading() as unit:
            owner = unit.access_keys.owner(access_key_id)
        if owner is None or owner.status != "Active":
            raise InvalidClientTokenId(INVALID_TOKEN_MESSAGE)
        if owner.user_id is not None and owner.user_name is None:
            raise InvalidClientTokenId(INVALID_TOKEN_MESSAGE)  # the user is gone
        return KeyIdentity(
            access_key_id=access_key_id,
            secret_access_key=self._secret(owner),
            account_id=owner.account_id,
            kind="Account" if owner.user_id is None else "User",
            user_id=owner.account_id if owner.user_id is None else owner.user_id,
            user_name=owner.user_name,
            path=owner.user_path or "/",
            entity_id=owner.user_id,
            partition=owner.partition,
            secret_sealed=owner.secret_sealed,
            read_at=read_at,
        )

    def _secret(self, owner: KeyOwner) -> str:
        dropped = self._dropped.get(owner.access_key_id)
        if dropped is not None and hmac.compare_digest(dropped.secret_sealed, owner.secret_sealed):
            return dropped.secret_access_key
        return open_secret(self._box, owner)


def authenticate(
    authenticator: Authenticator, box: SecretBox, signed: sigv4.SignedRequest, parts: sigv4.RequestParts,
    now: datetime, service_name: str, call: ApiCall | None = None,
) -> Caller:
    """The caller behind a signed request. When the key or session is genuine but the
    signature is not (or the session has expired), ``call.claimed`` is set to the principal
    the request claimed to be, so the audit trail can record the failure in its account."""
    token = signed.security_token
    if token is not None or signed.access_key_id.startswith("ASIA"):
        if not token:
            raise InvalidClientTokenId(sessions.INVALID_TOKEN)
        try:
            session = sessions.open_token(box, signed.access_key_id, token, now)
        except ExpiredToken:
            if call is not None:
                # The token is genuine, only expired: open it as of its issue to learn who.
                expired = sessions.open_token(box, signed.access_key_id, token, _EPOCH)
                call.claimed = caller_for_session(
                    expired, signed.region, token, authenticator.account_partition(expired.account_id)
                )
            raise
        claimed = caller_for_session(
            session, signed.region, token, authenticator.account_partition(session.account_id)
        )
        if call is not None:
            call.claimed = claimed
        _verify(signed, parts, session.secret_access_key, now, service_name)
        return claimed
    authenticator.refresh()
    identity = authenticator.identity(signed.access_key_id)
    claimed = identity.caller(signed.region)
    if call is not None:
        call.claimed = claimed
    _verify(signed, parts, identity.secret_access_key, now, service_name)
    return claimed


_EPOCH = datetime.fromtimestamp(0, UTC)


def signature_error(exc: sigv4.SigV4Error) -> ServiceError:
    """A SigV4 failure as the API error of the same code."""
    return error_class_for_code(exc.code)(exc.message)


def _verify(
    signed: sigv4.SignedRequest, parts: sigv4.RequestParts, secret: str, now: datetime, service_name: str
) -> None:
    try:
        sigv4.verify(signed, parts, secret, now, service=service_name)
    except sigv4.SigV4Error as exc:
        raise signature_error(exc) from None
