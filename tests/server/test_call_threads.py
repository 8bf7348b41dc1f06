"""The threads that run the event loop's blocking calls."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from iamd.server.call_threads import CallThreads


def test_a_call_runs_in_a_thread_and_answers_its_result() -> None:
    threads = CallThreads(2, "test-calls")

    async def main() -> tuple[str, int]:
        return await threads.run(lambda a, b: (threading.current_thread().name, a + b), 2, 3)

    name, total = asyncio.run(main())
    threads.shutdown()
    assert name.startswith("test-calls_") and total == 5


def test_an_exception_is_raised_in_the_awaiting_task() -> None:
    threads = CallThreads(1, "test-calls")

    def fail() -> None:
        raise KeyError("boom")

    async def main() -> None:
        await threads.run(fail)

    with pytest.raises(KeyError, match="boom"):
        asyncio.run(main())
    threads.shutdown()


def test_calls_run_side_by_side_up_to_the_size() -> None:
    """Four calls that each wait 0.2 s take about 0.4 s on two threads: two at a time."""
    threads = CallThreads(2, "test-calls")
    running: list[int] = []
    most = [0]
    lock = threading.Lock()

    def wait() -> None:
        with lock:
            running.append(1)
            most[0] = max(most[0], len(running))
        time.sleep(0.2)
        with lock:
            running.pop()

    async def main() -> None:
        await asyncio.gather(*(threads.run(wait) for _ in range(4)))

    started = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - started
    threads.shutdown()
    assert most[0] == 2
    assert 0.35 < elapsed < 2.0


def test_a_cancelled_task_lets_its_call_finish_and_the_loop_go_on() -> None:
    threads = CallThreads(1, "test-calls")
    finished = threading.Event()

    def slow() -> str:
        time.sleep(0.2)
        finished.set()
        return "done"

    async def main() -> str:
        task = asyncio.ensure_future(threads.run(slow))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await threads.run(lambda: "next")  # the thread is free again after ``slow``

    assert asyncio.run(main()) == "next"
    assert finished.is_set()
    threads.shutdown()


def test_shutdown_ends_the_threads_and_refuses_new_calls() -> None:
    threads = CallThreads(3, "test-calls")

    async def main() -> None:
        await threads.run(lambda: None)

    asyncio.run(main())
    assert sum(t.name.startswith("test-calls_") for t in threading.enumerate()) == 3
    threads.shutdown()
    assert not any(t.name.startswith("test-calls_") for t in threading.enumerate())
    with pytest.raises(RuntimeError, match="shut down"):
        asyncio.run(main())
