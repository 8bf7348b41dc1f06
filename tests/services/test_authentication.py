"""The identity cache: own writes seen at once, other processes' after one poll."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamd.protocol.errors import InvalidClientTokenId
from iamd.services import accounts
from iamd.services.authentication import Authenticator
from iamd.services.crypto import SecretBox
from iamd.services.runtime import Runtime
from iamd.services.state_watch import StateWatcher
from iamd.store import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'iamd.sqlite3'}")
    database.migrate()
    yield database
    database.dispose()


def test_cache_follows_own_and_foreign_writes(db: Database, tmp_path: Path) -> None:
    box = SecretBox(bytes(32))
    clock = [0.0]
    authenticator = Authenticator(db, box, StateWatcher(db, poll_interval=1.0, monotonic=lambda: clock[0]))
    created = accounts.create_account(db, box, Runtime())
    key = created.root.access_key_id

    authenticator.refresh()
    identity = authenticator.identity(key)
    assert identity.kind == "Account" and identity.secret_access_key == created.root.secret_access_key

    # A write through this process's Database is seen on the next request.
    with db.transaction() as unit:
        unit.access_keys.set_status(key, "Inactive")
    authenticator.refresh()
    with pytest.raises(InvalidClientTokenId):
        authenticator.identity(key)

    # Another process (its own Database object) re-activates the key: seen after a poll.
    other = Database(db.url)
    with other.transaction() as unit:
        unit.access_keys.set_status(key, "Active")
    other.dispose()
    authenticator.refresh()  # within the poll interval: the failure is not cached, so it reloads
    assert authenticator.identity(key).kind == "Account"
    with other.transaction() as unit:
        unit.access_keys.set_status(key, "Inactive")
    authenticator.refresh()
    assert authenticator.identity(key).kind == "Account"  # cached until the next poll
    clock[0] += 1.5
    authenticator.refresh()
    with pytest.raises(InvalidClientTokenId):
        authenticator.identity(key)


def test_unknown_key(db: Database) -> None:
    authenticator = Authenticator(db, SecretBox(bytes(32)))
    authenticator.refresh()
    with pytest.raises(InvalidClientTokenId):
        authenticator.identity("AKIANOSUCHKEY0000000")


def test_rows_added_keep_cached_identities_and_changes_drop_them(db: Database) -> None:
    from datetime import UTC, datetime

    from iamd.store import UserRecord

    box = SecretBox(bytes(32))
    clock = [0.0]
    watcher = StateWatcher(db, poll_interval=60.0, monotonic=lambda: clock[0])
    authenticator = Authenticator(db, box, watcher)
    created = accounts.create_account(db, box, Runtime())
    key = created.root.access_key_id
    authenticator.refresh()
    authenticator.identity(key)
    misses = authenticator.cache_misses

    # CreateUser, AttachUserPolicy: nothing the identity was read from changed.
    now = datetime.now(UTC)
    with db.transaction() as unit:
        unit.users.add(UserRecord(id="AIDANEW", account_id=created.account_id, name="new", path="/", created_at=now))
    with db.transaction() as unit:
        unit.attachments.attach(created.account_id, "user", "AIDANEW", "arn:aws:iam::aws:policy/ReadOnlyAccess", now)
    authenticator.refresh()
    authenticator.identity(key)
    assert authenticator.cache_misses == misses

    # A user's row changed by a statement that may touch any rows: the cache is dropped.
    with db.transaction() as unit:
        unit.users.update("AIDANEW", name="renamed", path="/")
    authenticator.refresh()
    authenticator.identity(key)
    assert authenticator.cache_misses == misses + 1


def test_own_writes_need_no_poll_of_the_database(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, datetime.now(UTC))
    clock = [0.0]
    watcher = StateWatcher(db, poll_interval=1.0, monotonic=lambda: clock[0])
    first = watcher.generation()
    polls: list[int] = []
    original = db.state_version
    monkeypatch.setattr(db, "state_version", lambda: polls.append(1) or original())
    with db.transaction() as unit:
        unit.settings.put("111122223333", "x", {"a": 1})
    assert watcher.generation() != first
    assert polls == []  # seen from this process's own count, not from the database
    clock[0] += 2
    watcher.generation()
    assert polls == [1]


def test_an_identity_read_again_reuses_only_a_secret_sealed_alike(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a change drops the cache, the key is read again in full; its secret is opened
    again unless the stored ciphertext is the very one opened before."""
    from iamd.store import UserRecord, schema

    box = SecretBox(bytes(32))
    opened: list[bytes] = []
    original_open = box.open
    monkeypatch.setattr(box, "open", lambda *a, **k: opened.append(a[1]) or original_open(*a, **k))
    authenticator = Authenticator(db, box)
    created = accounts.create_account(db, box, Runtime())
    key = created.root.access_key_id
    authenticator.refresh()
    assert authenticator.identity(key).secret_access_key == created.root.secret_access_key
    assert len(opened) == 1

    def drop_the_cache() -> None:
        with db.transaction() as unit:
            unit.users.add(UserRecord(id="AIDAOTHER", account_id=created.account_id, name="other", path="/",
                                      created_at=datetime.now(UTC)))
        with db.transaction() as unit:
            unit.users.update("AIDAOTHER", name="renamed", path="/")
        authenticator.refresh()

    drop_the_cache()
    misses = authenticator.cache_misses
    assert authenticator.identity(key).secret_access_key == created.root.secret_access_key
    assert authenticator.cache_misses == misses + 1  # read again...
    assert len(opened) == 1  # ...but the same sealed secret is not opened twice

    # The key id now holds another secret (deleted and made again, or re-sealed): the
    # new ciphertext is opened, and only the new secret is answered.
    def store_secret(secret: str) -> None:
        with db.transaction() as unit:
            unit.connection.execute(
                schema.access_keys.update().where(schema.access_keys.c.access_key_id == key)
                .values(secret_sealed=accounts.seal_secret(box, key, secret)))
        authenticator.refresh()

    store_secret("another-secret")
    assert authenticator.identity(key).secret_access_key == "another-secret"
    assert len(opened) == 2
    store_secret(created.root.secret_access_key)  # same secret, sealed anew: opened again
    assert authenticator.identity(key).secret_access_key == created.root.secret_access_key
    assert len(opened) == 3


def test_a_users_key_follows_its_user(db: Database) -> None:
    from iamd.store import AccessKeyRecord, UserRecord

    box = SecretBox(bytes(32))
    authenticator = Authenticator(db, box)
    created = accounts.create_account(db, box, Runtime())
    now = datetime.now(UTC)
    with db.transaction() as unit:
        unit.users.add(UserRecord(id="AIDAALICE", account_id=created.account_id, name="alice", path="/team/",
                                  created_at=now))
        unit.access_keys.add(AccessKeyRecord(
            access_key_id="AKIAALICE0000000000A", account_id=created.account_id, user_id="AIDAALICE",
            secret_sealed=accounts.seal_secret(box, "AKIAALICE0000000000A", "alice-secret"),
            status="Active", created_at=now))
    authenticator.refresh()
    identity = authenticator.identity("AKIAALICE0000000000A")
    assert (identity.kind, identity.user_id, identity.user_name, identity.path, identity.partition) == (
        "User", "AIDAALICE", "alice", "/team/", "aws")
    assert "alice-secret" not in repr(identity)

    with db.transaction() as unit:
        unit.users.update("AIDAALICE", name="alicia", path="/")
    authenticator.refresh()
    identity = authenticator.identity("AKIAALICE0000000000A")
    assert (identity.user_name, identity.path) == ("alicia", "/")

    with db.transaction() as unit:
        unit.users.delete("AIDAALICE")
    authenticator.refresh()
    with pytest.raises(InvalidClientTokenId):
        authenticator.identity("AKIAALICE0000000000A")


def test_deleting_one_key_or_one_user_rereads_only_the_identities_read_from_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DeleteAccessKey and DeleteUser delete one row each by its primary key: the other
    cached identities stay, and those read from the deleted row are read again (and
    refused) on their next use, in this process at once."""
    from iamd.store import AccessKeyRecord, UserRecord

    box = SecretBox(bytes(32))
    authenticator = Authenticator(db, box)
    created = accounts.create_account(db, box, Runtime())
    root_key = created.root.access_key_id
    now = datetime.now(UTC)
    keys = {"AKIABOB0000000000001": "AIDABOB", "AKIABOB0000000000002": "AIDABOB", "AKIACAROL00000000001": "AIDACAROL"}
    with db.transaction() as unit:
        for user_id in ("AIDABOB", "AIDACAROL"):
            unit.users.add(UserRecord(id=user_id, account_id=created.account_id, name=user_id.lower(), path="/",
                                      created_at=now))
        for key_id, user_id in keys.items():
            unit.access_keys.add(AccessKeyRecord(
                access_key_id=key_id, account_id=created.account_id, user_id=user_id,
                secret_sealed=accounts.seal_secret(box, key_id, "secret"), status="Active", created_at=now))

    def use_all() -> None:
        authenticator.refresh()
        for key_id in [root_key, *keys]:
            authenticator.identity(key_id)

    use_all()
    misses = authenticator.cache_misses

    with db.transaction() as unit:
        assert unit.access_keys.delete_owned("AKIABOB0000000000001", created.account_id, "AIDABOB")
    authenticator.refresh()
    with pytest.raises(InvalidClientTokenId):
        authenticator.identity("AKIABOB0000000000001")
    for key_id in (root_key, "AKIABOB0000000000002", "AKIACAROL00000000001"):
        authenticator.identity(key_id)
    assert authenticator.cache_misses == misses + 1  # only the deleted key was read again

    # A user deleted (its keys go with it): its keys are refused, everyone else's stay.
    with db.transaction() as unit:
        unit.access_keys.delete("AKIACAROL00000000001")
    with db.transaction() as unit:
        unit.users.delete("AIDACAROL")
    misses = authenticator.cache_misses
    authenticator.refresh()
    with pytest.raises(InvalidClientTokenId):
        authenticator.identity("AKIACAROL00000000001")
    authenticator.identity(root_key)
    authenticator.identity("AKIABOB0000000000002")
    assert authenticator.cache_misses == misses + 1

    # Deleting a user whose key is cached, by the user's row alone (the key goes by cascade).
    with db.transaction() as unit:
        unit.users.delete("AIDABOB")
    authenticator.refresh()
    with pytest.raises(InvalidClientTokenId):
        authenticator.identity("AKIABOB0000000000002")

    # With more rows changed than it remembers, the store counts every row as changed.
    from iamd.store import database

    monkeypatch.setattr(database, "_ROWS_REMEMBERED", 1)
    authenticator.identity(root_key)
    misses = authenticator.cache_misses
    with db.transaction() as unit:
        unit.users.add(UserRecord(id="AIDATEMP", account_id=created.account_id, name="temp", path="/", created_at=now))
    with db.transaction() as unit:
        unit.users.delete("AIDATEMP")
    authenticator.refresh()
    authenticator.identity(root_key)
    assert authenticator.cache_misses == misses + 1
