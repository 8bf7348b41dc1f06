"""LISTEN/NOTIFY: a commit that changed cached state is announced, and the listener hears it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from iamd.store import Database, UserRecord, sqlite_url
from iamd.store.notifications import ChangeListener, channel_for, conninfo, parse_payload, payload
from tests.conftest import POSTGRES_URL

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class Heard:
    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()
        self.tables: list[frozenset[str] | None] = []

    def __call__(self, modified: frozenset[str] | None) -> None:
        self.count += 1
        self.tables.append(modified)
        self.event.set()

    def wait(self, timeout: float = 5.0) -> bool:
        found = self.event.wait(timeout)
        self.event.clear()
        return found


@pytest.fixture
def listening(pg: Database) -> Iterator[tuple[ChangeListener, Heard]]:
    assert pg.notify_channel == channel_for(pg.schema_name)
    heard = Heard()
    listener = ChangeListener(pg.url, pg.notify_channel, heard, poll_timeout=0.1)
    listener.start()
    assert heard.wait(), "the listener announces a change when it first listens"
    yield listener, heard
    listener.stop()


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def test_sqlite_stores_have_no_channel(tmp_path: Path) -> None:
    database = Database(sqlite_url(tmp_path))
    assert database.notify_channel is None
    database.dispose()


def test_a_commit_that_changed_state_is_heard(listening: tuple[ChangeListener, Heard], pg: Database) -> None:
    listener, heard = listening
    with pg.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
    started = time.monotonic()
    assert heard.wait()
    assert time.monotonic() - started < 1.0
    assert listener.notifications == 1


def test_a_notification_names_the_tables_whose_rows_were_updated_or_deleted(
    listening: tuple[ChangeListener, Heard], pg: Database
) -> None:
    """Rows only added are not named: they change no entry a cache holds."""
    _listener, heard = listening
    assert heard.tables == [None]  # on connecting: anything may have changed meanwhile
    with pg.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
        unit.users.add(UserRecord(id="AIDA1", account_id="111122223333", name="ann", path="/", created_at=NOW))
    assert heard.wait()
    with pg.transaction() as unit:
        unit.users.delete("AIDA1")
    assert heard.wait()
    assert heard.tables[1:] == [frozenset(), frozenset({"users"})]


def test_payloads_round_trip() -> None:
    assert parse_payload(payload("ab12", {"users", "access_keys"})) == ("ab12", frozenset({"access_keys", "users"}))
    assert parse_payload(payload("ab12", set())) == ("ab12", frozenset())
    assert parse_payload("ab12") == ("ab12", None)  # says nothing of what changed


def test_nothing_is_announced_before_commit_or_after_rollback(
    listening: tuple[ChangeListener, Heard], pg: Database
) -> None:
    listener, heard = listening
    with pytest.raises(RuntimeError), pg.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
        raise RuntimeError("boom")
    with pg.transaction():
        pass  # a unit that writes nothing cached bumps nothing, announces nothing
    assert not heard.wait(0.5)
    assert listener.notifications == 0


def test_the_listener_reconnects_after_its_backend_is_terminated(
    listening: tuple[ChangeListener, Heard], pg: Database
) -> None:
    listener, heard = listening
    assert listener.connects == 1 and listener.backend_pid is not None
    with psycopg.connect(conninfo(POSTGRES_URL), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (listener.backend_pid,))
    # Reconnected, it announces a change: whatever happened meanwhile went unheard.
    assert heard.wait()
    assert wait_until(lambda: listener.connected and listener.connects == 2)
    with pg.transaction() as unit:
        unit.accounts.add("111122223333", None, NOW)
    assert heard.wait(1.0)
    assert listener.notifications == 1


def test_stop_ends_the_thread(pg: Database) -> None:
    listener = ChangeListener(pg.url, "iamd_state_unused", lambda _modified: None, poll_timeout=0.1)
    listener.start()
    assert wait_until(lambda: listener.connected)
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 2.0
    assert not listener.connected


def test_a_process_passes_over_its_own_notifications(pg: Database) -> None:
    heard = Heard()
    listener = ChangeListener(pg.url, pg.notify_channel or "", heard, poll_timeout=0.1, own_sender=pg.notify_sender)
    listener.start()
    other = Database(POSTGRES_URL, schema_name=pg.schema_name)  # another process's store
    try:
        assert heard.wait()
        with pg.transaction() as unit:
            unit.accounts.add("111122223333", None, NOW)
        assert not heard.wait(0.5)
        with other.transaction() as unit:
            unit.accounts.add("444455556666", None, NOW)
        assert heard.wait(1.0)
        assert listener.notifications == 1
    finally:
        listener.stop()
        other.dispose()


class _FakePgconn:
    """What the listener reads of libpq: the notifications that arrived, one at a time."""

    def __init__(self, payloads: list[str]) -> None:
        self._waiting = [type("PGnotify", (), {"extra": text.encode()})() for text in payloads]

    def notifies(self) -> object:
        return self._waiting.pop(0) if self._waiting else None


def test_notifications_that_arrived_together_are_one_change() -> None:
    """Several notifications read at one wake-up are passed on as one change naming every
    table they named; one that names nothing means anything may have changed."""
    changes: list[frozenset[str] | None] = []
    listener = ChangeListener(POSTGRES_URL, "iamd_state", changes.append, own_sender="me")

    listener._heard(_FakePgconn(["a:users", "me:access_keys", "b:", "b:roles,users"]))
    assert changes == [frozenset({"users", "roles"})]  # own notification passed over
    assert listener.notifications == 3

    listener._heard(_FakePgconn(["a:users", "b"]))
    assert changes[-1] is None

    listener._heard(_FakePgconn(["me:users"]))  # only its own: nothing to pass on
    listener._heard(_FakePgconn([]))
    assert len(changes) == 2 and listener.notifications == 5


def _statements_sent(work: Callable[[], None]) -> list[str]:
    """The statements ``work`` ran on psycopg cursors."""
    sent: list[str] = []
    original = psycopg.Cursor.execute

    def execute(cursor: psycopg.Cursor, query: object, *args: object, **kwargs: object) -> object:
        sent.append(str(query))
        return original(cursor, query, *args, **kwargs)  # type: ignore[arg-type]

    psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    try:
        work()
    finally:
        psycopg.Cursor.execute = original  # type: ignore[method-assign]
    return sent


def test_the_bump_the_announcement_and_the_commit_are_one_round_trip(
    listening: tuple[ChangeListener, Heard], pg: Database
) -> None:
    listener, heard = listening

    def write() -> None:
        with pg.transaction() as unit:
            unit.accounts.add("111122223333", None, NOW)

    before = pg.state_version()
    sent = _statements_sent(write)
    assert pg.state_version() == before + 1
    assert heard.wait() and listener.notifications == 1
    last = sent[-1]
    assert last.startswith("UPDATE state_version") and last.endswith("; COMMIT"), sent
    with pg.reading() as unit:
        assert unit.accounts.get("111122223333") is not None  # committed


def test_a_channel_that_would_need_quoting_is_announced_with_parameters(pg: Database) -> None:
    """Values that are not plain letters, digits and separators never go into the text."""
    from iamd.store import notifications

    with psycopg.connect(conninfo(POSTGRES_URL), autocommit=True) as listener:
        listener.execute("LISTEN \"odd'channel\"")
        with pg.engine.begin() as connection:
            notifications.bump_notify_and_commit(connection, 1, "odd'channel", "s", {"users"})
        heard = next(listener.notifies(timeout=5))
    assert (heard.channel, heard.payload) == ("odd'channel", "s:users")
