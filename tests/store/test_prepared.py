"""Prepared statements run on the driver's cursor behave as Core runs them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from iamd.store import Database, UserRecord, changes, schema
from iamd.store.prepared import Prepared, run_sql

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
ACCOUNT = "111122223333"
_USERS = schema.users
_INSERT_USER = Prepared(_USERS.insert(), column_keys=("id", "account_id", "name", "name_lower", "path", "created_at"))
_USER_BY_ID = Prepared(sa.select(_USERS).where(_USERS.c.id == sa.bindparam("id")))
_RENAME = Prepared(_USERS.update().where(_USERS.c.id == sa.bindparam("of_id")).values(name=sa.bindparam("new_name")))
_COUNT = Prepared(sa.select(sa.func.count()).select_from(_USERS).where(_USERS.c.account_id == sa.bindparam("a")))
_PATHS = Prepared(sa.select(_USERS.c.name, _USERS.c.path).where(_USERS.c.path == "/eng/").order_by(_USERS.c.name))


@pytest.fixture
def with_account(db: Database) -> Database:
    with db.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, NOW)
    return db


def _user(user_id: str, name: str, path: str = "/", created_at: datetime = NOW) -> dict[str, object]:
    return {"id": user_id, "account_id": ACCOUNT, "name": name, "name_lower": name.lower(), "path": path,
            "created_at": created_at}


def test_timestamps_are_stored_and_read_exactly_as_core_does(with_account: Database) -> None:
    db = with_account
    with db.transaction() as unit:
        _INSERT_USER.run(unit.connection, _user("AIDA1", "alice"))
        # And one written by Core, read back through the prepared statement.
        unit.users.add(UserRecord(id="AIDA2", account_id=ACCOUNT, name="bob", path="/", created_at=NOW))
    with db.reading() as unit:
        raw = unit.connection.execute(sa.select(_USERS.c.id, _USERS.c.created_at).order_by(_USERS.c.id)).all()
        stored = [row.created_at for row in raw]
        assert stored[0] == stored[1] == NOW and stored[0].tzinfo is not None
        if db.dialect == "sqlite":  # the same text in the column, whichever path wrote it
            texts = unit.connection.exec_driver_sql("SELECT created_at FROM users ORDER BY id").scalars().all()
            assert texts[0] == texts[1]
        row = _USER_BY_ID.first(unit.connection, {"id": "AIDA2"})
        assert row is not None and row["created_at"] == NOW and row["name"] == "bob"
        assert _USER_BY_ID.first(unit.connection, {"id": "nobody"}) is None


def test_literal_values_in_the_statement_are_bound(with_account: Database) -> None:
    db = with_account
    with db.transaction() as unit:
        _INSERT_USER.run(unit.connection, _user("AIDA1", "zed", "/eng/"))
        _INSERT_USER.run(unit.connection, _user("AIDA2", "amy", "/eng/"))
        _INSERT_USER.run(unit.connection, _user("AIDA3", "bo", "/ops/"))
    with db.reading() as unit:
        assert _PATHS.all(unit.connection) == [{"name": "amy", "path": "/eng/"}, {"name": "zed", "path": "/eng/"}]
        assert _COUNT.scalar(unit.connection, {"a": ACCOUNT}) == 3


def test_writes_are_noted_for_the_state_version_and_caches(with_account: Database) -> None:
    db = with_account
    before = db.state_version()
    with db.transaction() as unit:
        _INSERT_USER.run(unit.connection, _user("AIDA1", "alice"))
    assert db.state_version() == before + 1
    assert db.local_modifications(["users"]) == 0  # a row added changes no cached row
    with db.transaction() as unit:
        assert _RENAME.run(unit.connection, {"of_id": "AIDA1", "new_name": "alicia"}) == 1
        assert _RENAME.run(unit.connection, {"of_id": "nobody", "new_name": "x"}) == 0
    assert db.state_version() == before + 2
    assert db.local_modifications(["users"]) == 1
    # Reads note nothing: a transaction that only reads leaves the version alone.
    with db.transaction() as unit:
        _USER_BY_ID.first(unit.connection, {"id": "AIDA1"})
    assert db.state_version() == before + 2


def test_a_write_confined_to_one_row_is_counted_for_that_row(with_account: Database) -> None:
    """A statement whose WHERE clause pins the primary key to its ``row_param`` is noted
    for that row: it moves the version and the table's count, and ``row_changed_since``
    for that row alone, but not the count of changes to any rows."""
    db = with_account
    delete = Prepared(schema.users.delete().where(schema.users.c.id == sa.bindparam("id")), row_param="id")
    with db.transaction() as unit:
        _INSERT_USER.run(unit.connection, _user("AIDA1", "alice"))
        _INSERT_USER.run(unit.connection, _user("AIDA2", "bob"))
    before, seen = db.state_version(), db.local_changes
    with db.transaction() as unit:
        assert delete.run(unit.connection, {"id": "AIDA1"}) == 1
    assert db.state_version() == before + 1
    assert db.local_modifications(["users"]) == 1
    assert db.local_modifications(["users"], except_known_rows=True) == 0
    assert db.row_changed_since("users", "AIDA1", seen)
    assert not db.row_changed_since("users", "AIDA1", db.local_changes)
    assert not db.row_changed_since("users", "AIDA2", seen)


def test_only_a_statement_confined_to_its_primary_key_names_a_row() -> None:
    users, keys = schema.users, schema.access_keys
    for statement in [
        users.delete().where(users.c.account_id == sa.bindparam("id")),  # not the key
        users.delete().where(sa.or_(users.c.id == sa.bindparam("id"), users.c.name == "x")),
        users.delete(),
        users.insert(),
        sa.select(users).where(users.c.id == sa.bindparam("id")),
        keys.delete().where(keys.c.access_key_id == sa.bindparam("other")),
        schema.tags.delete().where(schema.tags.c.entity_id == sa.bindparam("id")),  # no one-column key
    ]:
        with pytest.raises(ValueError, match="only the row"):
            Prepared(statement, row_param="id")
    Prepared(keys.update().where(keys.c.user_id == sa.bindparam("u"), keys.c.access_key_id == sa.bindparam("id"))
             .values(status="Inactive"), row_param="id")


def test_a_change_note_is_taken_once(with_account: Database) -> None:
    with with_account.reading() as unit:
        changes.note(unit.connection, ("users", False, None))
        assert changes.take(unit.connection) == {("users", False, None)}
        assert changes.take(unit.connection) == set()


def test_driver_errors_arrive_as_core_errors_without_the_parameters(with_account: Database) -> None:
    db = with_account
    with db.transaction() as unit:
        _INSERT_USER.run(unit.connection, _user("AIDA1", "alice"))
    with pytest.raises(sa.exc.IntegrityError) as caught, db.transaction() as unit:
        _INSERT_USER.run(unit.connection, _user("AIDA1", "secret-looking-name"))
    assert "secret-looking-name" not in str(caught.value)
    with pytest.raises(sa.exc.DBAPIError), db.transaction() as unit:
        run_sql(unit.connection, "SELECT * FROM no_such_table")
    # The store is still usable afterwards.
    with db.reading() as unit:
        assert _COUNT.scalar(unit.connection, {"a": ACCOUNT}) == 1


def test_a_failed_transaction_keeps_none_of_its_prepared_writes(with_account: Database) -> None:
    db = with_account
    with pytest.raises(RuntimeError), db.transaction() as unit:
        _INSERT_USER.run(unit.connection, _user("AIDA1", "alice", created_at=NOW - timedelta(days=1)))
        raise RuntimeError("boom")
    with db.reading() as unit:
        assert _COUNT.scalar(unit.connection, {"a": ACCOUNT}) == 0


def test_a_read_only_unit_begins_its_transaction_first(with_account: Database) -> None:
    with with_account.reading() as unit:
        assert not unit.connection.in_transaction()
        _COUNT.scalar(unit.connection, {"a": ACCOUNT})
        assert unit.connection.in_transaction()


def test_statements_that_cannot_run_prepared_are_refused() -> None:
    from sqlalchemy.dialects import sqlite

    expanding = Prepared(sa.select(_USERS.c.id).where(_USERS.c.id.in_(sa.bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="cannot be prepared"):
        expanding._for(sqlite.dialect())
