"""Telling every process at once that the stored state changed: PostgreSQL's LISTEN/NOTIFY.

A transaction that bumps the state version also calls ``pg_notify`` on the store's
channel, in the same statement, sent with its ``COMMIT`` in one round trip
(``bump_notify_and_commit``; ``bump_and_notify`` where the values would need quoting).
PostgreSQL delivers the notification
only if and when that transaction commits, to every session listening on the channel: so a
node learns of another node's change within milliseconds, instead of at its next poll of
the version. The payload names the tables whose rows the transaction updated or deleted,
so that a cache read from other tables only (the access-key identities) stays.

``ChangeListener`` is that session for one process: a daemon thread with a connection of
its own, in autocommit, that runs ``LISTEN`` and calls ``on_change(tables)`` for every
notification of another process. If the connection drops (a restarted database, a
terminated backend) it reconnects with a growing delay, and calls ``on_change(None)``
(anything may have changed) once it listens again, since notifications sent while it was
away are lost. The version stays the truth: it is still read now and then, so a lost
notification costs at most one poll interval.

SQLite has no such channel: processes sharing a SQLite file poll the version.
"""

from __future__ import annotations

import logging
import re
import secrets
import selectors
import threading
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from iamd.store import schema
from iamd.store.prepared import Prepared, run_sql

log = logging.getLogger("iamd.store.notifications")

# How the listener's session shows in pg_stat_activity.
APPLICATION_NAME = "iamd state listener"

# The version bump and the announcement in one round trip.
_BUMP_AND_NOTIFY = Prepared(
    schema.state_version.update()
    .where(schema.state_version.c.id == sa.bindparam("slot"))
    .values(version=schema.state_version.c.version + 1)
    .returning(sa.func.pg_notify(sa.bindparam("channel"), sa.bindparam("payload")))
)

_BUMP_NOTIFY_COMMIT = (
    "UPDATE state_version SET version = version + 1 WHERE id = {slot} "
    "RETURNING pg_notify('{channel}', '{payload}'); COMMIT"
)
# What may stand between the quotes of that text unescaped.
_PLAIN = re.compile(r"[A-Za-z0-9_:,]*")

# How long the listener lets notifications gather after taking some: a change reaches
# this process's caches at most this much later, and a stream of writes wakes it less.
GATHER_SECONDS = 0.05

# Reconnection delays grow from the first to the last, doubling.
FIRST_RETRY_DELAY = 0.1
LAST_RETRY_DELAY = 5.0


def channel_for(schema_name: str | None) -> str:
    """The store's channel: notifications are per database, so a store kept in a schema
    of its own (an ephemeral server's) has a channel of its own too."""
    return "iamd_state" if schema_name is None else f"iamd_state_{schema_name}"


def new_sender() -> str:
    """A name for the notifications of one ``Database`` (one process), so that its own
    listener can pass over them: the process saw its own change already."""
    return secrets.token_hex(8)


def bump_and_notify(
    connection: Connection, slot: int, channel: str, sender: str, modified: Iterable[str]
) -> None:
    """Bump the state version (its row ``slot``) and announce, at the commit of
    ``connection``'s transaction, that the state changed: the payload names the sender and
    the tables whose rows the transaction updated or deleted (``payload``)."""
    _BUMP_AND_NOTIFY.run(connection, {"slot": slot, "channel": channel, "payload": payload(sender, modified)})


def bump_notify_and_commit(
    connection: Connection, slot: int, channel: str, sender: str, modified: Iterable[str]
) -> None:
    """``bump_and_notify``, then commit ``connection``'s transaction: both in one round trip.

    The two statements go as one simple query, which takes no parameters: the values are
    written into its text, and each is first checked to hold only characters that need no
    quoting. The driver then sees no transaction left open, so the commit that ends the
    unit of work sends nothing."""
    text = payload(sender, modified)
    if not (_PLAIN.fullmatch(channel) and _PLAIN.fullmatch(text)):
        bump_and_notify(connection, slot, channel, sender, modified)
        return
    run_sql(connection, _BUMP_NOTIFY_COMMIT.format(slot=int(slot), channel=channel, payload=text))


def payload(sender: str, modified: Iterable[str]) -> str:
    """``sender:table,table``: who changed the state, and which tables' rows it updated or
    deleted (rows only added change no entry a cache holds)."""
    return f"{sender}:{','.join(sorted(modified))}"


def parse_payload(text: str) -> tuple[str, frozenset[str] | None]:
    """The sender and the tables of a payload; None for the tables when the payload does
    not say (any cache may be stale)."""
    sender, colon, tables = text.partition(":")
    if not colon:
        return sender, None
    return sender, frozenset(table for table in tables.split(",") if table)


def conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy ``postgresql+psycopg://`` URL."""
    parsed = sa.engine.make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


class ChangeListener:
    """A thread that listens on the store's channel and calls ``on_change`` for what it hears."""

    def __init__(
        self,
        url: str,
        channel: str,
        on_change: Callable[[frozenset[str] | None], None],
        *,
        on_connected: Callable[[bool], None] | None = None,
        poll_timeout: float = 0.5,
        own_sender: str | None = None,
    ) -> None:
        """``own_sender``: the sender name of this process's own notifications, passed over."""
        self._conninfo = conninfo(url)
        self._channel = channel
        self._on_change = on_change
        self._on_connected = on_connected or (lambda _connected: None)
        self._poll_timeout = poll_timeout
        self._own_sender = own_sender
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: Any = None
        # For tests and metrics.
        self.connected = False
        self.notifications = 0
        self.connects = 0
        # The backend pid of the current connection (tests terminate it).
        self.backend_pid: int | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="iamd-state-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        delay = FIRST_RETRY_DELAY
        while not self._stop.is_set():
            failure: Exception | None = None
            try:
                self._listen()
            except Exception as exc:  # noqa: BLE001 - any failure means "reconnect"
                failure = exc
            was_connected = self._disconnected()
            if failure is None or self._stop.is_set():
                continue
            if was_connected:
                delay = FIRST_RETRY_DELAY  # a connection that worked: retry soon
            log.warning("state change listener lost its connection (%s); retrying in %.1f s",
                        " ".join(str(failure).split()), delay)
            self._stop.wait(delay)
            delay = min(delay * 2, LAST_RETRY_DELAY)

    def _listen(self) -> None:
        import psycopg

        # Keepalives notice a connection the network dropped silently; without them a
        # listener would wait forever on a socket nobody writes to.
        from psycopg import pq

        connection = psycopg.connect(
            self._conninfo, autocommit=True, connect_timeout=5, application_name=APPLICATION_NAME,
            keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3,
        )
        self._connection = connection
        connection.execute(f'LISTEN "{self._channel}"')
        self.backend_pid = connection.info.backend_pid
        self.connects += 1
        self.connected = True
        self._on_connected(True)
        # Whatever changed while no one listened is only in the version: look at it now.
        self._on_change(None)
        # Straight to libpq: wait on the socket, read what arrived, take every notification
        # it holds. Then pause a moment, so that under a stream of writes one wake-up
        # takes many notifications: each wake-up costs the process a turn of its lock.
        pgconn = connection.pgconn
        selector = selectors.DefaultSelector()
        selector.register(pgconn.socket, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                if not selector.select(self._poll_timeout):
                    continue
                pgconn.consume_input()  # raises when the connection failed
                if pgconn.status != pq.ConnStatus.OK:
                    raise ConnectionError("the connection is closed")
                self._heard(pgconn)
                self._stop.wait(GATHER_SECONDS)
        finally:
            selector.close()

    def _heard(self, pgconn: Any) -> None:
        """Pass on the notifications that arrived, other processes' only, as one change."""
        tables: set[str] | None = set()
        heard = False
        while (notification := pgconn.notifies()) is not None:
            sender, modified = parse_payload(notification.extra.decode("utf-8", "replace"))
            if sender == self._own_sender:
                continue
            heard = True
            self.notifications += 1
            if modified is None or tables is None:
                tables = None
            else:
                tables |= modified
        if heard:
            self._on_change(None if tables is None else frozenset(tables))

    def _disconnected(self) -> bool:
        """Close the connection; returns whether it had been listening."""
        connection, self._connection = self._connection, None
        was_connected, self.connected = self.connected, False
        if was_connected:
            self._on_connected(False)
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001, S110 - the connection is gone either way
                pass
        return was_connected
