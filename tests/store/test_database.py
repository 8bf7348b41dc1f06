"""Store contract tests, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import psycopg
import pytest

from iamd.store import (
    AccessKeyRecord,
    Database,
    DuplicateKey,
    ReferenceGone,
    UnitOfWork,
    UserRecord,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
T = TypeVar("T")




def test_migrate_is_idempotent(db: Database) -> None:
    db.migrate()
    assert db.state_version() == 1


def test_account_and_user_round_trip(db: Database) -> None:
    with db.transaction() as unit:
        unit.accounts.add("111122223333", "root@example.com", NOW)
        unit.users.add(UserRecord(id="AIDA1", account_id="111122223333", name="Alice", path="/eng/", created_at=NOW))
    assert db.state_version() == 2
    with db.reading() as unit:
        user = unit.users.get_by_name("111122223333", "ALICE")
        assert user is not None and user.name == "Alice" and user.path == "/eng/"
        assert user.created_at == NOW and user.created_at.tzinfo is not None
        assert [a.id for a in unit.accounts.list()] == ["111122223333"]


def test_names_are_unique_without_regard_to_case(db: Database) -> None:
    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
        unit.accounts.add("444455556666", None, NOW)
        unit.users.add(UserRecord(id="AIDA1", account_id="111122223333", name="bob", path="/", created_at=NOW))
        # Same name in another account is fine.
        unit.users.add(UserRecord(id="AIDA2", account_id="444455556666", name="bob", path="/", created_at=NOW))
        with pytest.raises(DuplicateKey):
            unit.users.add(UserRecord(id="AIDA3", account_id="111122223333", name="BOB", path="/", created_at=NOW))
        # The failed insert did not spoil the transaction.
        unit.users.add(UserRecord(id="AIDA4", account_id="111122223333", name="carol", path="/", created_at=NOW))
    with db.reading() as unit:
        assert [u.name for u in unit.users.list("111122223333")] == ["bob", "carol"]


def test_a_row_whose_parent_is_gone_is_refused_as_such(db: Database) -> None:
    """Not a ``DuplicateKey``: a caller that retries on one (a new random key id) would
    retry for ever."""
    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
    with pytest.raises(ReferenceGone), db.transaction() as unit:
        unit.access_keys.add(AccessKeyRecord("AKIAGONE", "111122223333", "AIDAGONE", b"\x00sealed", "Active", NOW))
    with db.reading() as unit:
        assert unit.access_keys.get("AKIAGONE") is None


def test_a_failed_transaction_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
        raise RuntimeError("boom")
    with db.reading() as unit:
        assert unit.accounts.list() == []
    assert db.state_version() == 1


def test_access_keys(db: Database) -> None:
    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
        unit.access_keys.add(AccessKeyRecord("AKIAROOT", "111122223333", None, b"\x00sealed", "Active", NOW))
        unit.access_keys.set_status("AKIAROOT", "Inactive")
        unit.access_keys.record_use("AKIAROOT", NOW + timedelta(seconds=1), "eu-west-1", "iam")
    with db.reading() as unit:
        key = unit.access_keys.get("AKIAROOT")
        assert key is not None and key.is_root and key.status == "Inactive"
        assert key.secret_sealed == b"\x00sealed"
        assert key.last_used_region == "eu-west-1"
        assert [k.access_key_id for k in unit.access_keys.list_for("111122223333", None)] == ["AKIAROOT"]


def test_paging_by_name(db: Database) -> None:
    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
        for i, name in enumerate(["d", "a", "c", "b", "e"]):
            unit.users.add(UserRecord(id=f"AIDA{i}", account_id="111122223333", name=name, path="/", created_at=NOW))
    with db.reading() as unit:
        assert [u.name for u in unit.users.list("111122223333", after="b", limit=2)] == ["c", "d"]


def test_wipe(db: Database) -> None:
    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
    db.wipe()
    with db.reading() as unit:
        assert unit.accounts.list() == []


def test_writes_bump_the_state_version_by_themselves(db: Database) -> None:
    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
        unit.access_keys.add(AccessKeyRecord("AKIAKEY", "111122223333", None, b"\x00sealed", "Active", NOW))
    version = db.state_version()
    assert version == 2
    # Usage records change nothing a process caches: no bump.
    with db.transaction() as unit:
        unit.access_keys.record_use("AKIAKEY", NOW, "us-east-1", "iam")
    with db.transaction() as unit:
        unit.meta.put("note", "x")
    assert db.state_version() == version
    # A change of state does, with no call to ask for it.
    with db.transaction() as unit:
        unit.access_keys.set_status("AKIAKEY", "Inactive")
    assert db.state_version() == version + 1
    with db.transaction() as unit:
        unit.access_keys.delete("AKIAKEY")
    assert db.state_version() == version + 2
    # Reads and empty transactions do not.
    with db.transaction() as unit:
        unit.access_keys.get("AKIAKEY")
    assert db.state_version() == version + 2


def _second_lock_waits_for(db: Database, take: Callable[[UnitOfWork], T]) -> T:
    """Run ``take`` in a transaction that then stays open for 0.3 s while another
    transaction asks for the account's lock; assert that the other one waited for the
    first to end, and return what ``take`` returned."""
    import threading
    import time

    order: list[str] = []
    locked = threading.Event()

    def second() -> None:
        locked.wait()
        with db.transaction() as unit:
            unit.accounts.lock("111122223333")
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with db.transaction() as unit:
        taken = take(unit)
        locked.set()
        time.sleep(0.3)
        order.append("first")
    thread.join()
    assert order == ["first", "second"]
    return taken


def test_the_account_lock_makes_another_transaction_wait(db: Database) -> None:
    """Quota checks count under this lock: on PostgreSQL a second transaction's lock waits
    for the first to end; on SQLite the writers already take turns."""
    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
    _second_lock_waits_for(db, lambda unit: unit.accounts.lock("111122223333"))


@pytest.mark.parametrize("name", ["alice", "nobody"])
def test_a_look_up_that_takes_the_account_lock_makes_another_transaction_wait(db: Database, name: str) -> None:
    """``lock_account`` on a look-up takes the quota lock in the same statement, whether
    or not the entity is there; the look-up's answer is the plain one's."""
    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
        unit.users.add(UserRecord(id="AIDA1", account_id="111122223333", name="Alice", path="/", created_at=NOW))
    user, entity = _second_lock_waits_for(db, lambda unit: (
        unit.users.get_by_name("111122223333", name, lock_account=True),
        unit.attachments.entity("111122223333", "user", name, lock_account=True)))
    assert (user.id if user else None) == (entity.id if entity else None) == ("AIDA1" if name == "alice" else None)


def test_a_transaction_takes_an_accounts_lock_once(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a transaction holds the account's lock, asking again (another quota, a look-up
    with ``lock_account``) costs no round trip: the plain look-up runs instead."""
    from iamd.store import accounts

    with db.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
    taken: list[str] = []
    lock = accounts._LOCK

    class CountingLock:
        def first(self, connection: object, params: dict[str, str]) -> object:
            taken.append(params["id"])
            return lock.first(connection, params)  # type: ignore[arg-type]

    monkeypatch.setattr(accounts, "_LOCK", CountingLock())
    with db.transaction() as unit:
        unit.accounts.lock("111122223333")
        unit.accounts.lock("111122223333")
        assert unit.users.get_by_name("111122223333", "alice", lock_account=True) is None
    with db.transaction() as unit:
        assert unit.users.get_by_name("111122223333", "alice", lock_account=True) is None
        unit.accounts.lock("111122223333")
    expected = [] if db.engine.dialect.name == "sqlite" else ["111122223333"]
    assert taken == expected


def test_pooled_connections_the_server_closed_are_replaced_on_checkout(pg: Database) -> None:
    """A restart or a terminated backend closes the pool's idle connections; the next unit
    of work gets a new one instead of failing on the dead one."""
    from iamd.store.notifications import conninfo
    from tests.conftest import POSTGRES_URL

    with pg.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
    with pg.reading() as unit:
        pid = unit.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with psycopg.connect(conninfo(POSTGRES_URL), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.execute("SELECT pg_sleep(0.2)")
    with pg.reading() as unit:
        assert unit.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid
        assert [a.id for a in unit.accounts.list()] == ["111122223333"]


def test_a_read_only_unit_on_postgresql_runs_without_a_transaction(pg: Database) -> None:
    """Each statement reads what was committed when it began, as in a READ COMMITTED
    transaction, without the round trips of BEGIN and COMMIT; a unit that writes still
    runs in a transaction."""
    from psycopg.pq import TransactionStatus

    with pg.reading() as unit:
        assert unit.accounts.list() == []
        driver = unit.connection.connection.driver_connection
        assert driver.info.transaction_status == TransactionStatus.IDLE
    with pg.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
        driver = unit.connection.connection.driver_connection
        assert driver.info.transaction_status == TransactionStatus.INTRANS


def test_a_write_in_a_read_only_unit_is_refused_as_the_bug_it_is(db: Database) -> None:
    with pytest.raises(RuntimeError, match="read-only"), db.reading() as unit:
        unit.accounts.add("111122223333", None, NOW)


def test_audit_rows_are_stored_as_given_and_in_order(db: Database) -> None:
    """On PostgreSQL the batch goes as one COPY: text with its escapes, NULLs, times with
    their zone and the order of the batch come back unchanged."""
    from iamd.store.audit import AuditRow, EventFilter

    when = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    tricky = 'tab\there, newline\nthere, back\\slash \\N, quote\'s "q", ünïcödé, \\.'
    rows = [
        AuditRow(event_id=f"00000000-0000-4000-8000-00000000000{n}", account_id="111122223333",
                 event_time=when + timedelta(seconds=n), event_source="iam.amazonaws.com", event_name=f"Event{n}",
                 user_name=None if n % 2 else tricky, principal_arn=None, access_key_id="AKIA" if n else None,
                 read_only=bool(n % 2), error_code=None, record='{"x":"' + tricky.replace("\n", "\\n") + '"}')
        for n in range(5)
    ]
    with db.transaction() as unit:
        unit.audit.append(rows)
    with db.reading() as unit:
        found = unit.audit.find(EventFilter(account_id="111122223333"), limit=10)
    assert [row.event_name for row in found] == [f"Event{n}" for n in reversed(range(5))]  # newest first
    assert [row.sequence for row in found] == sorted((row.sequence for row in found), reverse=True)
    for stored, given in zip(reversed(found), rows, strict=True):
        assert stored == AuditRow(**{**{f: getattr(given, f) for f in given.__slots__}, "sequence": stored.sequence})
