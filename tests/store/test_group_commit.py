"""Group commit on SQLite: writers take turns in the process and share commits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamd.store import Database, UserRecord, sqlite_url

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCOUNT = "111122223333"


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(sqlite_url(tmp_path))
    database.migrate()
    with database.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, NOW)
    yield database
    database.dispose()


def _user(n: int) -> UserRecord:
    return UserRecord(id=f"AIDA{n:06d}", account_id=ACCOUNT, name=f"user{n}", path="/", created_at=NOW)


def _names(db: Database) -> set[str]:
    with db.reading() as unit:
        return {u.name for u in unit.users.list(ACCOUNT, limit=1000)}


def _race(count: int, work: object) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        try:
            work(n)  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - collected for the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_writers_are_all_committed_in_fewer_commits(sqlite_db: Database) -> None:
    commits_before = sqlite_db._group_commit.commits  # type: ignore[union-attr]

    def write(n: int) -> None:
        for i in range(10):
            with sqlite_db.transaction() as unit:
                unit.users.add(_user(n * 100 + i))
            # Acknowledged means committed: another connection sees it at once.
            with sqlite_db.reading() as unit:
                assert unit.users.get(_user(n * 100 + i).id) is not None

    assert _race(8, write) == []
    assert len(_names(sqlite_db)) == 80
    group = sqlite_db._group_commit
    assert group is not None
    assert group.commits - commits_before < 80  # some commits served several writers
    assert sqlite_db.state_version() == 1 + 1 + 80  # every unit bumped the version


def test_a_failing_unit_rolls_back_alone(sqlite_db: Database) -> None:
    def write(n: int) -> None:
        with sqlite_db.transaction() as unit:
            unit.users.add(_user(n))
            if n % 2:
                raise RuntimeError("refused")

    errors = _race(8, write)
    assert len(errors) == 4 and all(str(e) == "refused" for e in errors)
    assert _names(sqlite_db) == {f"user{n}" for n in range(0, 8, 2)}


def test_a_failed_commit_fails_every_writer_of_its_batch(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.engine import Connection

    original = Connection.commit

    def failing_commit(self: Connection) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Connection, "commit", failing_commit)
    with pytest.raises(OSError, match="disk full"), sqlite_db.transaction() as unit:
        unit.users.add(_user(1))
    monkeypatch.setattr(Connection, "commit", original)
    assert _names(sqlite_db) == set()
    # The writer is usable again afterwards.
    with sqlite_db.transaction() as unit:
        unit.users.add(_user(2))
    assert _names(sqlite_db) == {"user2"}


def test_processes_sharing_a_file_take_turns_on_a_lock_file(sqlite_db: Database, tmp_path: Path) -> None:
    # A second Database on the same file stands for a second worker process: its lock
    # file descriptor excludes the first one's as another process's would.
    other = Database(sqlite_url(tmp_path))
    try:
        def write(n: int) -> None:
            db = sqlite_db if n % 2 else other
            for i in range(10):
                with db.transaction() as unit:
                    unit.users.add(_user(n * 100 + i))

        assert _race(8, write) == []
        assert len(_names(sqlite_db)) == 80
        assert (tmp_path / "iamd.sqlite3-writer.lock").exists()
    finally:
        other.dispose()


def test_a_failing_first_unit_of_a_batch_is_rolled_back_whole(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as unit:
        unit.users.add(_user(1))
    with pytest.raises(RuntimeError), sqlite_db.transaction() as unit:
        unit.users.add(_user(2))
        raise RuntimeError("refused")
    with sqlite_db.transaction() as unit:
        unit.users.add(_user(3))
    assert _names(sqlite_db) == {"user1", "user3"}


def test_a_write_transaction_inside_another_is_refused_not_deadlocked(sqlite_db: Database) -> None:
    with pytest.raises(RuntimeError, match="inside another"), sqlite_db.transaction() as unit:
        unit.users.add(_user(1))
        with sqlite_db.transaction():
            pass
    assert _names(sqlite_db) == set()
    with sqlite_db.transaction() as unit:
        unit.users.add(_user(2))
    assert _names(sqlite_db) == {"user2"}


def test_a_unit_that_joins_a_batch_and_fails_is_undone_to_its_savepoint(sqlite_db: Database) -> None:
    """The second unit of a batch runs in a savepoint of the batch's transaction: its failure
    undoes its own work (a rename through a nested savepoint of its own included), and the
    first unit's work is still committed, in one commit."""
    group = sqlite_db._group_commit
    assert group is not None
    with sqlite_db.transaction() as unit:
        unit.users.add(_user(9))
    commits_before = group.commits
    inside = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with sqlite_db.transaction() as unit:
            unit.users.add(_user(1))
            inside.set()
            deadline = threading.Event()
            while group._queued == 0 and not deadline.wait(0.005):  # the second unit waits to join
                pass

    def second() -> None:
        inside.wait(10)
        try:
            with sqlite_db.transaction() as unit:
                unit.users.add(_user(2))
                unit.users.update(_user(9).id, name="renamed", path="/")
                raise RuntimeError("refused")
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [str(e) for e in errors] == ["refused"]
    assert _names(sqlite_db) == {"user1", "user9"}
    assert group.commits - commits_before == 1
    # The batch's connection is clean for the next writer.
    with sqlite_db.transaction() as unit:
        unit.users.add(_user(3))
    assert _names(sqlite_db) == {"user1", "user3", "user9"}
