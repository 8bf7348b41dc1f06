"""Authentication: from an access key id to the identity behind it.

The server verifies the SigV4 signature with the secret this module looks up, then asks
for the ``Caller``. Lookups are cached per process. A change made through this process
drops the cache at once; a change made by another process sharing the database (another
node, or the ``iamd accounts`` command) is seen when the database's state version is next
polled, at most ``poll_interval`` seconds later. That is the eventual consistency AWS IAM
documents too; a key that the cache does not know is always looked up, so new accounts
and keys work at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from iamd.protocol.errors import InvalidClientTokenId
from iamd.services import arns
from iamd.services.accounts import open_secret
from iamd.services.caller import Caller
from iamd.services.crypto import SecretBox
from iamd.services.partitions import partition_for_region
from iamd.store import Database

INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    """What an access key stands for, independent of the request's region."""

    access_key_id: str
    secret_access_key: str
    account_id: str
    kind: str
    user_id: str
    user_name: str | None
    path: str
    entity_id: str | None

    def caller(self, region: str) -> Caller:
        partition = partition_for_region(region)
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


class Authenticator:
    """Resolves long-term access keys, with a cache tied to the database's state version."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        poll_interval: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._box = box
        self._cache: dict[str, KeyIdentity] = {}
        self._version = -1
        self._local_changes = -1
        self._polled_at = float("-inf")
        self._poll_interval = poll_interval
        self._monotonic = monotonic
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Drop cached identities if the database changed since they were loaded."""
        local = self._db.local_changes
        now = self._monotonic()
        if local == self._local_changes and now - self._polled_at < self._poll_interval:
            return
        version = self._db.state_version()
        with self._lock:
            if version != self._version or local != self._local_changes:
                self._cache.clear()
                self._version = version
            self._local_changes = local
            self._polled_at = now

    def identity(self, access_key_id: str) -> KeyIdentity:
        """The identity of an active long-term key; ``InvalidClientTokenId`` otherwise."""
        cached = self._cache.get(access_key_id)
        if cached is not None:
            return cached
        identity = self._load(access_key_id)
        with self._lock:
            self._cache[access_key_id] = identity
        return identity

    def _load(self, access_key_id: str) -> KeyIdentity:
        with self._db.reading() as unit:
            record = unit.access_keys.get(access_key_id)
            if record is None or record.status != "Active":
                raise InvalidClientTokenId(INVALID_TOKEN_MESSAGE)
            secret = open_secret(self._box, record)
            if record.user_id is None:
                return KeyIdentity(
                    access_key_id=access_key_id,
                    secret_access_key=secret,
                    account_id=record.account_id,
                    kind="Account",
                    user_id=record.account_id,
                    user_name=None,
                    path="/",
                    entity_id=None,
                )
            user = unit.users.get(record.user_id)
            if user is None:
                raise InvalidClientTokenId(INVALID_TOKEN_MESSAGE)
            return KeyIdentity(
                access_key_id=access_key_id,
                secret_access_key=secret,
                account_id=record.account_id,
                kind="User",
                user_id=user.id,
                user_name=user.name,
                path=user.path,
                entity_id=user.id,
            )
