"""Knowing when cached state is stale.

A process's caches (identities, compiled policy sets) are keyed by a generation that moves
whenever the stored state they hold may have changed: at once for changes this process
commits, and, for changes other processes sharing the database commit (another node, the
``iamd accounts`` command), when the database's state version is next read. It is read at
most ``poll_interval`` seconds apart, and at once after ``invalidate()``: on PostgreSQL a
listener calls it when another process announces a change (NOTIFY), so there the poll is
only the fallback and may be rarer (``listening_poll_interval``, used while the listener
is connected). AWS IAM documents the same eventual consistency.

``generation()`` moves with every change; ``generation_of(tables)`` moves with this
process's updates and deletes of rows of those tables only (and with every change of
another process), for a cache whose entries are read from those tables alone: rows added
cannot change an entry it holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from iamd.store import Database

Generation = tuple[int, int]

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

    def invalidate(self) -> None:
        """The stored state may have changed: read the version at the next look."""
        self._invalidations += 1

    def listening(self, connected: bool) -> None:
        """Whether something calls ``invalidate()`` on every change (the poll can be rarer)."""
        self._interval = self._listening_poll_interval if connected else self._poll_interval

    def generation(self) -> Generation:
        """Changes whenever cached state must be dropped."""
        return self._foreign_generation(), self._db.local_changes

    def generation_of(self, tables: Iterable[str]) -> Generation:
        """Changes whenever rows of ``tables`` this process caches may have changed."""
        return self._foreign_generation(), self._db.local_modifications(tables)

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
