"""The audit log's background writer: events leave the request path at once and reach the
database in batches.

A request hands over a small ``ApiCall`` (``submit``: one put on a lock-free queue); a
single writer thread turns up to ``batch_size`` of them, or whatever arrived within
``flush_interval`` of the first, into CloudTrail records and writes them in ONE
transaction together with their last-used data (access keys, roles, access advisor).

Durability trade-off (documented in docs/benchmarks.md): a call is acknowledged to the
client before its event is committed, so a hard crash (power loss, SIGKILL) can lose the
events of the last ``flush_interval`` (50 ms by default). A graceful shutdown (the app's
lifespan end, SIGTERM) writes everything still queued. ``flush()`` blocks until every event
submitted before it is committed; LookupEvents and the ephemeral reset call it.

The queue is bounded: when ``max_pending`` events wait (the database is stalled), a
request blocks for up to ``block_seconds`` before its event is dropped and the drop is
logged: the API never stalls indefinitely on the audit log.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from iamd.services import audit, identifiers
from iamd.services.iam.access_keys import LAST_USED_GRAIN
from iamd.store import Database

log = logging.getLogger("iamd.audit")

SWITCH_INTERVAL = 0.001


class _Marker:
    """Put in the queue by ``flush`` and ``close``: set once everything before it is written."""

    __slots__ = ("done", "stop")

    def __init__(self, stop: bool = False) -> None:
        self.done = threading.Event()
        self.stop = stop


class AuditWriter:
    def __init__(
        self,
        db: Database,
        random_bytes: Callable[[int], bytes],
        models: audit.ModelSource,
        *,
        batch_size: int = 200,
        flush_interval: float = 0.05,
        max_pending: int = 50_000,
        block_seconds: float = 5.0,
    ) -> None:
        self._db = db
        self._random_bytes = random_bytes
        self._models = models
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_pending = max_pending
        self.block_seconds = block_seconds
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._drained = threading.Event()
        self._urgent = threading.Event()  # a flush or close waits: write now
        self._closed = False
        self.dropped = 0
        self.written = 0
        # What was last written per key, role and access-advisor row, so that a busy
        # principal does not rewrite its last-used data on every batch.
        self._recent: dict[Any, tuple[datetime, Any]] = {}
        # With a second busy thread in the process, a request thread that gives up the GIL
        # for I/O waits up to the switch interval to get it back, several times per request
        # (5 ms each by default); a shorter interval bounds what the writer adds to latency.
        # Shorter still costs throughput: every forced hand-over of the lock is a switch
        # between threads. Measured with the write cycle at 8 connections, 1 ms served
        # 12-14% more requests than 0.5 ms on both backends, with no worse a p99; 2 ms and
        # 5 ms did no better than 1 ms.
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread = threading.Thread(target=self._run, name="iamd-audit-writer", daemon=True)
        self._thread.start()

    # -- the request side -----------------------------------------------------------

    def submit(self, item: audit.ApiCall | audit.SignIn) -> None:
        if self._closed:
            return
        if self._queue.qsize() >= self.max_pending:
            self._drained.clear()
            if not self._drained.wait(self.block_seconds) and self._queue.qsize() >= self.max_pending:
                self.dropped += 1
                log.error("audit queue full; event dropped", extra={"dropped": self.dropped})
                return
        self._queue.put(item)

    def pending(self) -> int:
        """How many events wait for the writer (the queue's depth)."""
        return self._queue.qsize()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every event submitted before this call is committed."""
        if self._closed or not self._thread.is_alive():
            return False
        marker = _Marker()
        self._queue.put(marker)
        self._urgent.set()
        return marker.done.wait(timeout)

    def forget_recent(self) -> None:
        """Drop the last-used memory (after the store was wiped by an ephemeral reset)."""
        self._recent.clear()

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued, then stop the thread."""
        if self._closed:
            return
        marker = _Marker(stop=True)
        self._queue.put(marker)
        self._urgent.set()
        self._closed = True
        marker.done.wait(timeout)
        self._thread.join(timeout)

    # -- the writer thread ----------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if not isinstance(first, _Marker) and self._queue.qsize() < self.batch_size - 1:
                # Sleep out the interval instead of waking for every event: a request thread
                # then hands over no GIL when it submits. A flush cuts the sleep short, and
                # a full batch waiting already is written at once.
                self._urgent.wait(self.flush_interval)
            self._urgent.clear()
            batch: list[Any] = []
            markers: list[_Marker] = []
            item = first
            while True:
                if isinstance(item, _Marker):
                    markers.append(item)
                else:
                    batch.append(item)
                    if len(batch) >= self.batch_size:
                        break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            if self._queue.qsize() < self.max_pending:
                self._drained.set()
            for marker in markers:
                marker.done.set()
            if any(marker.stop for marker in markers):
                # Anything submitted after close() began is still written.
                rest: list[Any] = []
                while True:
                    try:
                        extra = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if not isinstance(extra, _Marker):
                        rest.append(extra)
                    else:
                        extra.done.set()
                if rest:
                    self._write(rest)
                return

    def _write(self, batch: list[Any]) -> None:
        try:
            rows, usage = self._prepare(batch)
        except Exception:  # A bug in building records must not stop the writer.
            log.exception("audit events could not be built; %d dropped", len(batch))
            return
        for attempt in range(3):
            try:
                with self._db.transaction() as unit:
                    unit.audit.append(rows)
                    self._write_usage(unit, usage)
                self.written += len(rows)
                self._remember(usage)
                return
            except Exception:  # noqa: BLE001  (any database failure: retry, then row by row)
                if attempt < 2:
                    time.sleep(0.2 * (attempt + 1))
        # The batch keeps failing: write what can be written one event at a time, so that
        # one bad event costs only itself.
        log.error("audit batch of %d events failed; writing them one by one", len(rows))
        for row in rows:
            try:
                with self._db.transaction() as unit:
                    unit.audit.append([row])
                self.written += 1
            except Exception:
                self.dropped += 1
                log.exception("audit event %s could not be written; dropped", row.event_id)

    def _prepare(self, batch: list[Any]) -> tuple[list[Any], audit.Usage]:
        rows = []
        usage = audit.Usage()
        # Building records is pure Python; a request thread waiting for the interpreter
        # lock meanwhile gets it within the switch interval (``SWITCH_INTERVAL``), which is
        # what bounds the writer's share of API latency. (Handing the lock back by hand
        # every 8 events cost about 90 µs of CPU each time.)
        for item in batch:
            event_id = identifiers.uuid4(self._random_bytes)
            if isinstance(item, audit.SignIn):
                rows.append(audit.signin_row(item, event_id))
                continue
            row = audit.api_row(item, event_id, self._models)
            if row is not None:
                rows.append(row)
            usage.add(item, known_operation=self._known(item.service, item.action))
        return rows, self._stale_only(usage)

    def _known(self, service: str, action: str | None) -> bool:
        if not action:
            return False
        try:
            return action in self._models(service).operation_names
        except LookupError:
            return False

    def _stale_only(self, usage: audit.Usage) -> audit.Usage:
        """Keep only the uses that differ from, or are a grain newer than, the last written."""
        fresh = audit.Usage()
        for key_id, (when, region, service) in usage.keys.items():
            if self._stale(("key", key_id), when, (region, service)):
                fresh.keys[key_id] = (when, region, service)
        for role_id, (when, region) in usage.roles.items():
            if self._stale(("role", role_id), when, region):
                fresh.roles[role_id] = (when, region)
        for key, access in usage.services.items():
            if self._stale(("advisor", *key), access.last_authenticated, (access.region, access.authenticated_entity)):
                fresh.services[key] = access
        return fresh

    def _stale(self, key: Any, when: datetime, detail: Any) -> bool:
        seen = self._recent.get(key)
        return seen is None or seen[1] != detail or when - seen[0] >= LAST_USED_GRAIN

    def _remember(self, usage: audit.Usage) -> None:
        if len(self._recent) > 100_000:
            self._recent.clear()
        for key_id, (when, region, service) in usage.keys.items():
            self._recent[("key", key_id)] = (when, (region, service))
        for role_id, (when, region) in usage.roles.items():
            self._recent[("role", role_id)] = (when, region)
        for key, access in usage.services.items():
            self._recent[("advisor", *key)] = (
                access.last_authenticated, (access.region, access.authenticated_entity),
            )

    @staticmethod
    def _write_usage(unit: Any, usage: audit.Usage) -> None:
        for key_id, (when, region, service) in usage.keys.items():
            unit.access_keys.record_use_if_stale(key_id, when, region, service, when - LAST_USED_GRAIN)
        for role_id, (when, region) in usage.roles.items():
            unit.roles.record_use(role_id, when, region)
        if usage.services:
            unit.audit.record_service_access(usage.services.values())


class DisabledAudit:
    """``IAMD_AUDIT=off`` (benchmarks only): events are discarded."""

    dropped = 0
    written = 0

    def submit(self, item: audit.ApiCall | audit.SignIn) -> None:
        return None

    def pending(self) -> int:
        return 0

    def flush(self, timeout: float = 30.0) -> bool:
        return True

    def forget_recent(self) -> None:
        return None

    def close(self, timeout: float = 30.0) -> None:
        return None
