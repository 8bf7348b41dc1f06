"""Knowing when cached state is stale.

A process's caches (identities, compiled policy sets) are keyed by a generation number
that moves whenever the stored state may have changed: at once for changes made through
this process, and, for changes made by other processes sharing the database (another
node, the ``iamd accounts`` command), when the database's state version is next polled,
at most ``poll_interval`` seconds later. AWS IAM documents the same eventual consistency.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from iamd.store import Database


class StateWatcher:
    def __init__(
        self, db: Database, poll_interval: float = 0.5, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = db
        self._poll_interval = poll_interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._version = -1
        self._local_changes = -1
        self._polled_at = float("-inf")
        self._generation = 0

    def generation(self) -> int:
        """A number that changes whenever cached state must be dropped."""
        local = self._db.local_changes
        now = self._monotonic()
        if local == self._local_changes and now - self._polled_at < self._poll_interval:
            return self._generation
        version = self._db.state_version()
        with self._lock:
            if version != self._version or local != self._local_changes:
                self._generation += 1
                self._version = version
            self._local_changes = local
            self._polled_at = now
            return self._generation
