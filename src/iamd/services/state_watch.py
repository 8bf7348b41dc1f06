"""Knowing when cached state is stale.

A process's caches (identities, compiled policy sets) are keyed by a generation that moves
whenever the stored state they hold may have changed: at once for changes this process
commits, and, for changes other processes sharing the database commit (another node, the
``iamd accounts`` command), when this process hears of them. On PostgreSQL a listener
hears each one as it commits (NOTIFY) and passes on which tables it updated or deleted
rows of (``announced``). Otherwise, and as the fallback for a notification lost while the
listener reconnected, the database's state version is read: at most ``poll_interval``
seconds apart, at once after ``invalidate()``, and more rarely
(``listening_poll_interval``) while the listener is connected. AWS IAM documents the same
eventual consistency.

``generation()`` moves with every change; ``generation_of(tables)`` moves only with
updates and deletes of rows of those tables (this process's, and other processes' as
announced) and with every change the version read reveals, for a cache whose entries are
read from those tables alone: rows added cannot change an entry it holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from iamd.store import Database

Generation = tuple[int, int, int]

# How often the version is read with nothing to tell of changes, and with a listener that does.
POLL_INTERVAL = 0.5
LISTENING_POLL_INTERVAL = 5.0


class StateWatcher:
    def __init__(
        self,
        db: Database,
        poll_interval: float = POLL_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        listening_poll_interval: float | None = None,
    ) -> None:
        self._db = db
        self._poll_interval = poll_interval
        self._listening_poll_interval = poll_interval if listening_poll_interval is None else listening_poll_interval
        self._interval = poll_interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._version = -1
        self._polled_at = float("-inf")
        self._foreign = 0
        # Counts invalidations; a read of the version answers those counted before it.
        self._invalidations = 0
        self._answered = 0
        # Other processes' announced changes: all of them, and per table updated or deleted.
        self._announced = 0
        self._announced_modified: dict[str, int] = {}

    def invalidate(self) -> None:
        """The stored state may have changed: read the version at the next look."""
        self._invalidations += 1

    def announced(self, modified: frozenset[str] | None) -> None:
        """Another process committed a change that updated or deleted rows of ``modified``
        (and perhaps added rows anywhere); None when it is not known what changed."""
        if modified is None:
            self.invalidate()
            return
        with self._lock:
            self._announced += 1
            for table in modified:
                self._announced_modified[table] = self._announced_modified.get(table, 0) + 1

    def listening(self, connected: bool) -> None:
        """Whether a listener announces every change (the poll can be rarer)."""
        self._interval = self._listening_poll_interval if connected else self._poll_interval

    def generation(self) -> Generation:
        """Changes whenever cached state must be dropped."""
        return self._foreign_generation(), self._announced, self._db.local_changes

    def generation_of(self, tables: Iterable[str], *, except_known_rows: bool = False) -> Generation:
        """Changes whenever rows of ``tables`` a process caches may have changed. With
        ``except_known_rows``, not for this process's changes confined to one known row:
        for a cache that asks ``Database.row_changed_since`` about each entry's rows."""
        tables = tuple(tables)
        announced = self._announced_modified
        return (
            self._foreign_generation(),
            sum(announced.get(table, 0) for table in tables),
            self._db.local_modifications(tables, except_known_rows=except_known_rows),
        )

    def _foreign_generation(self) -> int:
        """Moves when a read of the database's version finds it changed. This process's
        own commits move the version too, so a read after them drops caches once more: a
        cost of at most one reload per poll interval."""
        invalidations = self._invalidations
        now = self._monotonic()
        if invalidations == self._answered and now - self._polled_at < self._interval:
            return self._foreign
        version = self._db.state_version()
        with self._lock:
            if version != self._version:
                self._foreign += 1
                self._version = version
            self._answered = invalidations
            self._polled_at = now
            return self._foreign
