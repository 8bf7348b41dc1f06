"""StateWatcher: when the caches' generation moves."""

from __future__ import annotations

from typing import Any, cast

from iamd.services.state_watch import StateWatcher


class FakeDatabase:
    def __init__(self) -> None:
        self.local_changes = 0
        self.version = 1
        self.reads = 0

    def state_version(self) -> int:
        self.reads += 1
        return self.version

    def local_modifications(self, tables: object, *, except_known_rows: bool = False) -> int:
        return 0


def watcher(db: FakeDatabase, clock: list[float], **kwargs: Any) -> StateWatcher:
    return StateWatcher(cast(Any, db), monotonic=lambda: clock[0], **kwargs)


def test_another_process_change_is_seen_at_the_next_poll() -> None:
    db, clock = FakeDatabase(), [0.0]
    watch = watcher(db, clock, poll_interval=0.5)
    first = watch.generation()[0]
    db.version = 2
    assert watch.generation()[0] == first
    clock[0] = 0.6
    assert watch.generation()[0] == first + 1


def test_invalidate_makes_the_next_look_read_the_version() -> None:
    db, clock = FakeDatabase(), [0.0]
    watch = watcher(db, clock, poll_interval=30.0)
    first = watch.generation()[0]
    reads = db.reads
    assert watch.generation()[0] == first and db.reads == reads
    db.version = 2
    watch.invalidate()
    assert watch.generation()[0] == first + 1
    # Answered once: the next look is from the cache again.
    assert watch.generation()[0] == first + 1 and db.reads == reads + 1


def test_an_invalidation_during_a_read_is_not_lost() -> None:
    db, clock = FakeDatabase(), [0.0]
    watch = watcher(db, clock, poll_interval=30.0)
    watch.generation()[0]
    watch.invalidate()
    # The change commits and is announced while the version is being read (old value).
    original = db.state_version

    def read_then_change() -> int:
        version = original()
        db.version = 2
        watch.invalidate()
        return version

    db.state_version = read_then_change  # type: ignore[method-assign]
    generation = watch.generation()[0]
    db.state_version = original  # type: ignore[method-assign]
    assert watch.generation()[0] == generation + 1


def test_a_connected_listener_makes_the_poll_rarer() -> None:
    db, clock = FakeDatabase(), [0.0]
    watch = watcher(db, clock, poll_interval=0.5, listening_poll_interval=5.0)
    first = watch.generation()[0]
    watch.listening(True)
    db.version = 2
    clock[0] = 1.0
    assert watch.generation()[0] == first
    watch.listening(False)
    assert watch.generation()[0] == first + 1


def test_an_announced_change_moves_the_generations_without_reading_the_version() -> None:
    db, clock = FakeDatabase(), [0.0]
    watch = watcher(db, clock, poll_interval=30.0)
    everything, keys, groups = watch.generation(), watch.generation_of(["users", "access_keys"]), watch.generation_of(["groups"])
    reads = db.reads
    watch.announced(frozenset({"users"}))  # another process deleted or updated users
    assert watch.generation() != everything
    assert watch.generation_of(["users", "access_keys"]) != keys
    assert watch.generation_of(["groups"]) == groups  # nothing of its tables changed
    watch.announced(frozenset())  # rows only added
    assert watch.generation_of(["groups"]) == groups
    assert db.reads == reads


def test_an_announcement_that_does_not_say_what_changed_reads_the_version() -> None:
    db, clock = FakeDatabase(), [0.0]
    watch = watcher(db, clock, poll_interval=30.0)
    groups = watch.generation_of(["groups"])
    db.version = 2
    watch.announced(None)
    assert watch.generation_of(["groups"]) != groups
