"""Plain records the repositories return: no ORM objects leak out of the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: str
    email: str | None
    created_at: datetime
    partition: str = "aws"


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    account_id: str
    name: str
    path: str
    created_at: datetime
    permissions_boundary_arn: str | None = None
    password_last_used: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccessKeyRecord:
    access_key_id: str
    account_id: str
    user_id: str | None
    secret_sealed: bytes
    status: str
    created_at: datetime
    last_used_at: datetime | None = None
    last_used_region: str | None = None
    last_used_service: str | None = None

    @property
    def is_root(self) -> bool:
        return self.user_id is None


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """An access key with what authenticating a request needs of its account and user."""

    access_key_id: str
    account_id: str
    user_id: str | None  # None for the root user's keys
    secret_sealed: bytes
    status: str
    partition: str
    user_name: str | None  # None for the root user's keys, and for a user that is gone
    user_path: str | None
