"""Knowing when cached state is stale.

A process's caches (identities, compiled policy sets) are keyed by a generation that moves
whenever the stored state they hold may have changed: at once for changes this process
commits, and, for changes other processes sharing the database commit (another node, the
``iamd accounts`` command), when the database's state version is next polled, at most
``poll_interval`` seconds later. AWS IAM documents the same eventual consistency.

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


class StateWatcher:
    def __init__(
        self, db: Database, poll_interval: float = 0.5, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = db
        self._poll_interval = poll_interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._version = -1
        self._polled_at = float("-inf")
        self._foreign = 0

    def generation(self) -> Generation:
        """Changes whenever cached state must be dropped."""
        return self._foreign_generation(), self._db.local_changes

    def generation_of(self, tables: Iterable[str]) -> Generation:
        """Changes whenever rows of ``tables`` this process caches may have changed."""
        return self._foreign_generation(), self._db.local_modifications(tables)

    def _foreign_generation(self) -> int:
        """Moves when a poll finds the database's version changed. This process's own
        commits move the version too, so a poll after them drops caches once more: a cost
        of at most one reload per poll interval."""
        now = self._monotonic()
        if now - self._polled_at < self._poll_interval:
            return self._foreign
        version = self._db.state_version()
        with self._lock:
            if version != self._version:
                self._foreign += 1
                self._version = version
            self._polled_at = now
            return self._foreign
