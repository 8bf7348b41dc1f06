"""The identity cache: own writes seen at once, other processes' after one poll."""

from __future__ import annotations

from collections.abc import Iterator
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
