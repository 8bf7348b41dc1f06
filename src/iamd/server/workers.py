"""``iamd serve --workers N``: N processes answering on one listening socket.

The parent binds the socket, opens (and if need be creates) the store, prints the banner,
then forks the workers; each opens the store afresh, with its own connections, caches and
audit writer, and runs uvicorn on the inherited socket: the kernel hands each new
connection to one of them. The database is their only shared state (its state version
invalidates every worker's caches, as between nodes). The parent only supervises: it
passes SIGTERM and SIGINT on to the workers, waits for them, and replaces a worker that
dies while the server is not stopping.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from types import FrameType

log = logging.getLogger("iamd.workers")

# A worker that dies sooner than this after its start is not replaced at once (no tight
# crash loop when, say, the database is down).
RESPAWN_DELAY = 1.0


def _run_child(work: Callable[[], None]) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 0
    try:
        work()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        log.exception("worker %d failed", os.getpid())
        code = 1
    finally:
        os._exit(code)


def supervise(count: int, work: Callable[[], None]) -> int:
    """Fork ``count`` workers that each run ``work`` (which serves until told to stop);
    return once every worker has exited after SIGTERM or SIGINT."""
    children: dict[int, float] = {}
    stopping = False

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:
            _run_child(work)
        children[pid] = time.monotonic()

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    for _ in range(count):
        spawn()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        started = children.pop(pid, None)
        if stopping or started is None:
            continue
        log.error("worker %d exited (status %d); starting another", pid, os.waitstatus_to_exitcode(status))
        if time.monotonic() - started < RESPAWN_DELAY:
            time.sleep(RESPAWN_DELAY)
        if not stopping:
            spawn()
    return 0
