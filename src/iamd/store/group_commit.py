"""One writer per process on SQLite, committing concurrent transactions together.

SQLite lets one connection write at a time. Left to itself, a second writer waits in
SQLite's busy handler, which sleeps in growing steps (up to 100 ms) instead of waking when
the lock is free: at eight concurrent writers that sleep was most of the p99. And each
commit in ``synchronous=FULL`` mode flushes the write-ahead log to disk.

``GroupCommit`` queues the process's writers on a Python lock instead, and lets them
share commits. The first writer of a batch opens the transaction (``BEGIN IMMEDIATE``);
each unit of work runs in a savepoint of it, so a unit that fails rolls back alone. A
writer that finishes while others wait for the lock hands the open transaction to the
next one and waits; the last writer of the batch commits it, once, and every writer of the
batch returns when that commit is durable. A write is acknowledged only after its commit,
as before; one flush to disk serves the whole batch. If the commit itself fails, every
writer of the batch gets the error and nothing of the batch is kept.

Processes sharing the file (``serve --workers N``) take turns the same way: the batch's
first writer also takes an exclusive ``flock`` on a lock file beside the database
(``<database>-writer.lock``), which the kernel hands to the next process the moment it is
released. Other writers (the ``iamd`` commands) still meet in SQLite's own lock, with its
busy timeout.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from iamd.store.prepared import run_sql


class _Batch:
    """Units of work sharing one open transaction, and how its commit ended."""

    __slots__ = ("committed", "connection", "error")

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.committed = threading.Event()
        self.error: BaseException | None = None


class GroupCommit:
    """Runs write transactions one at a time and commits waiting ones together."""

    def __init__(self, engine: Engine, lock_file: Path | None = None) -> None:
        self._engine = engine
        self._process_lock = _ProcessLock(lock_file) if lock_file is not None else None
        self._writer = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queued = 0
        self._batch: _Batch | None = None
        self._holder: int | None = None  # the thread holding the writer lock
        # How many commits served how many units (for tests and metrics).
        self.commits = 0
        self.units = 0

    @contextmanager
    def unit(self, finish: Callable[[Connection], None]) -> Iterator[Connection]:
        """A savepoint in the open batch; ``finish(connection)`` runs at the end of a unit
        that succeeded, inside its savepoint. Returns once the unit's work is committed."""
        if self._holder == threading.get_ident():
            # It would wait for itself forever: a bug, reported as one.
            raise RuntimeError("a write transaction was opened inside another on the same thread")
        with self._queue_lock:
            self._queued += 1
        self._writer.acquire()
        self._holder = threading.get_ident()
        with self._queue_lock:
            self._queued -= 1
        batch = self._batch
        try:
            if batch is None:
                if self._process_lock is not None:
                    self._process_lock.acquire()
                try:
                    connection = self._engine.connect()
                    try:
                        connection.begin()
                    except BaseException:
                        connection.close()
                        raise
                except BaseException:
                    if self._process_lock is not None:
                        self._process_lock.release()
                    raise
                batch = self._batch = _Batch(connection)
                # The first unit of a batch needs no savepoint: if it fails, the whole
                # transaction holds only its work and is rolled back.
                savepoint = None
            else:
                savepoint = _Savepoint(batch.connection)
        except BaseException:
            self._finish_batch_if_last(batch)
            raise
        failed: BaseException | None = None
        try:
            yield batch.connection
            finish(batch.connection)
        except BaseException as exc:  # noqa: BLE001 - re-raised once the batch is settled
            failed = exc
        if failed is None:
            try:
                if savepoint is not None:
                    savepoint.commit()
                self.units += 1
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                failed = exc
        if failed is not None:
            if savepoint is None:
                self._discard(batch)
                raise failed
            try:
                if savepoint.is_active:
                    savepoint.rollback()
            except BaseException:  # noqa: BLE001 - the unit's own error is raised
                # The connection is unusable: abandon the batch, others get the error.
                self._abandon(batch, failed)
                raise failed from None
            self._finish_batch_if_last(batch)
            raise failed
        if self._finish_batch_if_last(batch):
            if batch.error is not None:
                raise batch.error
            return
        batch.committed.wait()
        if batch.error is not None:
            raise _BatchFailed(str(batch.error)) from batch.error

    def _finish_batch_if_last(self, batch: _Batch | None) -> bool:
        """Commit the batch if no writer waits to join it; always releases the writer lock.
        Returns whether this thread committed (or closed) the batch."""
        try:
            with self._queue_lock:
                last = self._queued == 0
            if not last or batch is None:
                return False
            self._batch = None
            try:
                batch.connection.commit()
                self.commits += 1
            except BaseException as exc:  # noqa: BLE001 - every writer of the batch gets it
                batch.error = exc
                try:
                    batch.connection.rollback()
                except BaseException:  # noqa: BLE001, S110 - the commit's error is reported
                    pass
            finally:
                batch.connection.close()
                if self._process_lock is not None:
                    self._process_lock.release()
                batch.committed.set()
            return True
        finally:
            self._release_writer()

    def _release_writer(self) -> None:
        self._holder = None
        self._writer.release()

    def _discard(self, batch: _Batch) -> None:
        """Roll back a batch that holds only the failed first unit's work, and close it."""
        self._batch = None
        try:
            batch.connection.rollback()
        except BaseException:  # noqa: BLE001 - the unit's own error is what is reported
            batch.connection.invalidate()
        finally:
            batch.connection.close()
            if self._process_lock is not None:
                self._process_lock.release()
            batch.committed.set()
            self._release_writer()

    def _abandon(self, batch: _Batch, error: BaseException) -> None:
        self._batch = None
        batch.error = error
        try:
            batch.connection.invalidate()
        finally:
            if self._process_lock is not None:
                self._process_lock.release()
            batch.committed.set()
            self._release_writer()


class _ProcessLock:
    """An exclusive ``flock`` on a file, held by one process at a time (opened on first use,
    so that a store that never writes creates no file)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


class _Savepoint:
    """A unit's savepoint inside the batch, run on the driver (Core builds and compiles its
    savepoint statements anew every time). Units of a batch run one after another, so one
    name serves them all; a handler's own nested savepoints stack inside it."""

    _NAME = "iamd_unit"

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        run_sql(connection, f"SAVEPOINT {self._NAME}")
        self.is_active = True

    def commit(self) -> None:
        self.is_active = False
        run_sql(self._connection, f"RELEASE SAVEPOINT {self._NAME}")

    def rollback(self) -> None:
        self.is_active = False
        run_sql(self._connection, f"ROLLBACK TO SAVEPOINT {self._NAME}")
        run_sql(self._connection, f"RELEASE SAVEPOINT {self._NAME}")


class _BatchFailed(Exception):
    """The commit this unit of work was part of failed; nothing of the batch was kept."""
