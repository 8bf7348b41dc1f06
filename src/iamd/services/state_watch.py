"""Knowing when cached state is stale.

A process's caches (identities, compiled policy sets) are keyed by a generation number
that moves whenever the stored state may have changed: at once for changes made through
this process, and, for changes made by other processes sharing the database (another
node, the ``iamd accounts`` command), when the database's state version is next read.
It is read at most ``poll_interval`` seconds apart, and at once after ``invalidate()``:
on PostgreSQL a listener calls it when another process announces a change (NOTIFY), so
there the poll is only the fallback and may be rarer (``listening_poll_interval``, used
while the listener is connected). AWS IAM documents the same eventual consistency.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from iamd.store import Database

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
        self._local_changes = -1
        self._polled_at = float("-inf")
        self._generation = 0
        # Counts invalidations; a read of the version answers those counted before it.
        self._invalidations = 0
        self._answered = 0

    def invalidate(self) -> None:
        """The stored state may have changed: read the version at the next look."""
        self._invalidations += 1

    def listening(self, connected: bool) -> None:
        """Whether something calls ``invalidate()`` on every change (the poll can be rarer)."""
        self._interval = self._listening_poll_interval if connected else self._poll_interval

    def generation(self) -> int:
        """A number that changes whenever cached state must be dropped."""
        local = self._db.local_changes
        invalidations = self._invalidations
        now = self._monotonic()
        if (
            local == self._local_changes
            and invalidations == self._answered
            and now - self._polled_at < self._interval
        ):
            return self._generation
        version = self._db.state_version()
        with self._lock:
            if version != self._version or local != self._local_changes:
                self._generation += 1
                self._version = version
            self._local_changes = local
            self._answered = invalidations
            self._polled_at = now
            return self._generation
