"""Accounts and their root users.

Every deployment holds one or more 12-digit accounts. Each account has a root user,
identified by the ARN ``arn:aws:iam::ACCOUNT:root``, whose access keys are created with
the account (or taken from the environment for the default account).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from iamd.policy.arn import PARTITIONS
from iamd.protocol.errors import EntityAlreadyExists, InvalidInput, NoSuchEntity
from iamd.services import identifiers
from iamd.services.crypto import SecretBox
from iamd.services.passwords import hash_password
from iamd.services.runtime import Runtime
from iamd.store import AccessKeyRecord, AccountRecord, Database, DuplicateKey, KeyOwner, UnitOfWork
from iamd.store.passwords import LoginProfileRecord, root_profile_id

ACCOUNT_ID_PATTERN = re.compile(r"[0-9]{12}")
# Root keys given by the operator may be short words (``test``) for drop-in use with test
# set-ups made for other emulators; generated keys are AWS-shaped.
ACCESS_KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_]{1,128}")
ACCESS_KEY_SECRET = "access-key-secret"


@dataclass(frozen=True)
class RootCredentials:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class NewAccount:
    account_id: str
    email: str | None
    root: RootCredentials
    partition: str = "aws"


def seal_secret(box: SecretBox, access_key_id: str, secret: str) -> bytes:
    """Seal an access key's secret, bound to its key id."""
    return box.seal(ACCESS_KEY_SECRET, secret.encode(), context=access_key_id.encode())


def open_secret(box: SecretBox, record: AccessKeyRecord | KeyOwner) -> str:
    return box.open(ACCESS_KEY_SECRET, record.secret_sealed, context=record.access_key_id.encode()).decode()


def create_account(
    db: Database,
    box: SecretBox,
    runtime: Runtime,
    *,
    account_id: str | None = None,
    email: str | None = None,
    root_password: str | None = None,
    root_credentials: RootCredentials | None = None,
    partition: str = "aws",
) -> NewAccount:
    """Create an account with its root user and one root access key, in ``partition``
    (``aws`` unless said otherwise: every ARN of the account uses it)."""
    if account_id is not None and not ACCOUNT_ID_PATTERN.fullmatch(account_id):
        raise InvalidInput(f"Account id `{account_id}` must be 12 digits.")
    if partition not in PARTITIONS:
        raise InvalidInput(f"Partition `{partition}` is not one of {', '.join(sorted(PARTITIONS))}.")
    if root_credentials is not None:
        if not ACCESS_KEY_ID_PATTERN.fullmatch(root_credentials.access_key_id):
            raise InvalidInput("The root access key id must be 1 to 128 letters, digits or underscores.")
        if not root_credentials.secret_access_key:
            raise InvalidInput("The root secret access key must not be empty.")
    credentials = root_credentials or RootCredentials(
        access_key_id=identifiers.access_key_id(runtime.random_bytes),
        secret_access_key=identifiers.secret_access_key(runtime.random_bytes),
    )
    now = runtime.now()
    password_hash = hash_password(root_password) if root_password else None
    with db.transaction() as unit:
        chosen = account_id or _free_account_id(unit, runtime)
        try:
            unit.accounts.add(chosen, email, now, partition)
        except DuplicateKey:
            raise EntityAlreadyExists(f"Account {chosen} already exists.") from None
        if password_hash:
            # The root user's console password is a login profile like an IAM user's.
            unit.passwords.add_profile(
                LoginProfileRecord(
                    id=root_profile_id(chosen),
                    account_id=chosen,
                    user_id=None,
                    password_hash=password_hash,
                    password_reset_required=False,
                    created_at=now,
                    password_changed_at=now,
                )
            )
        try:
            unit.access_keys.add(_root_key(box, chosen, credentials, now))
        except DuplicateKey:
            raise EntityAlreadyExists(
                f"Access key {credentials.access_key_id} already exists."
            ) from None
    return NewAccount(account_id=chosen, email=email, root=credentials, partition=partition)


def _root_key(box: SecretBox, account_id: str, credentials: RootCredentials, now: datetime) -> AccessKeyRecord:
    """An active access key of the account's root user, its secret sealed."""
    return AccessKeyRecord(
        access_key_id=credentials.access_key_id,
        account_id=account_id,
        user_id=None,
        secret_sealed=seal_secret(box, credentials.access_key_id, credentials.secret_access_key),
        status="Active",
        created_at=now,
    )


def _free_account_id(unit: UnitOfWork, runtime: Runtime) -> str:
    while True:
        candidate = identifiers.account_id(runtime.random_bytes)
        if unit.accounts.get(candidate) is None:
            return candidate


def reset_root_key(db: Database, box: SecretBox, runtime: Runtime, account_id: str) -> tuple[RootCredentials, int]:
    """Replace every access key of an account's root user with one new key, for an operator
    whose root keys were lost; returns the new key and how many old keys it replaced."""
    credentials = RootCredentials(
        access_key_id=identifiers.access_key_id(runtime.random_bytes),
        secret_access_key=identifiers.secret_access_key(runtime.random_bytes),
    )
    with db.transaction() as unit:
        if unit.accounts.get(account_id) is None:
            raise NoSuchEntity(f"Account {account_id} does not exist.")
        old = unit.access_keys.list_for(account_id, None)
        for record in old:
            unit.access_keys.delete(record.access_key_id)
        unit.access_keys.add(_root_key(box, account_id, credentials, runtime.now()))
    return credentials, len(old)


def list_accounts(db: Database) -> list[AccountRecord]:
    with db.reading() as unit:
        return unit.accounts.list()


def bootstrap(
    db: Database,
    box: SecretBox,
    runtime: Runtime,
    *,
    account_id: str | None = None,
    email: str | None = None,
    root_password: str | None = None,
    root_credentials: RootCredentials | None = None,
) -> NewAccount | None:
    """Create the default account on first start; returns it only when it was created.

    On later starts, root credentials given in the environment are added to the default
    account when that key does not exist yet, so ``IAMD_ROOT_ACCESS_KEY_ID`` always works.
    """
    existing = list_accounts(db)
    if not existing:
        return create_account(
            db,
            box,
            runtime,
            account_id=account_id,
            email=email,
            root_password=root_password,
            root_credentials=root_credentials,
        )
    if root_credentials is not None:
        default = existing[0]
        with db.transaction() as unit:
            if unit.access_keys.get(root_credentials.access_key_id) is None:
                unit.access_keys.add(_root_key(box, default.id, root_credentials, runtime.now()))
    return None


def reset(db: Database) -> None:
    """Wipe every account and entity (the ephemeral server's ``/_iamd/reset``)."""
    db.wipe()
