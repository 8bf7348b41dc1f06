"""Threads that run the event loop's blocking calls: what ``loop.run_in_executor`` with a
``ThreadPoolExecutor`` does, for less of the interpreter's time per call.

``await threads.run(fn, *args)`` hands ``fn`` to one of the threads over a queue and
resumes with its result or its exception. The executor's way puts a concurrent-futures
Future (with a lock and a condition of its own) between the thread and the loop's future,
and chains the two with callbacks; here the thread resolves the loop's future directly,
through ``call_soon_threadsafe``. On the write path, where every request is handed over,
that is measurable (see ``docs/benchmarks.md``).

The threads start at the first call, all of them: a call never waits for a thread to be
made. A call that starts runs to its end even if the task awaiting it is cancelled, as
with the executor.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_STOP = None


class CallThreads:
    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self._closed = False

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` in one of the threads; its result, or its exception raised here."""
        if self._closed:
            raise RuntimeError("the call threads are shut down")
        if not self._threads:
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put((call, args, loop, future))
        return await future

    def shutdown(self) -> None:
        """Let the calls handed over finish, then end the threads."""
        with self._start_lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(_STOP)
        for thread in threads:
            thread.join()

    def _start(self) -> None:
        with self._start_lock:
            if self._threads or self._closed:
                return
            for number in range(self.size):
                thread = threading.Thread(target=self._work, name=f"{self._name}_{number}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            call, args, loop, future = item
            try:
                result = call(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
                _resolve_soon(loop, _fail, future, exc)
            else:
                _resolve_soon(loop, _succeed, future, result)
            del item, call, args, future


def _resolve_soon(loop: asyncio.AbstractEventLoop, resolve: Callable[..., None], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(resolve, *args)
    except RuntimeError:
        pass  # the loop is closed: no one awaits the call any more


def _succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(exc)
