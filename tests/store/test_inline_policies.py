"""Inline policies: one statement adds a policy or replaces its document."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from iamd.store import Database, UserRecord

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCOUNT = "111122223333"


def _setup(db: Database) -> None:
    with db.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, NOW)
        unit.users.add(UserRecord(id="AIDA1", account_id=ACCOUNT, name="ann", path="/", created_at=NOW))


def test_put_adds_then_replaces_and_counts_as_a_modification(db: Database) -> None:
    """The statement may replace a document a cache holds, so it counts as a modification
    of the table even when it only added the row."""
    _setup(db)
    before = db.local_modifications(["inline_policies"])
    with db.transaction() as unit:
        unit.inline_policies.put(ACCOUNT, "user", "AIDA1", "p", '{"v":1}')
    with db.transaction() as unit:
        unit.inline_policies.put(ACCOUNT, "user", "AIDA1", "p", '{"v":2}')
    assert db.local_modifications(["inline_policies"]) == before + 2
    with db.reading() as unit:
        assert unit.inline_policies.list("user", "AIDA1") == [("p", '{"v":2}')]


def test_two_transactions_putting_the_same_new_name_both_succeed(pg: Database) -> None:
    """The second waits for the first to commit, then replaces its document (the last
    writer wins, as in IAM); before, it failed on the primary key, a 500."""
    _setup(pg)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with pg.transaction() as unit:
                unit.inline_policies.put(ACCOUNT, "user", "AIDA1", "p", '{"v":"second"}')
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with pg.transaction() as unit:
        unit.inline_policies.put(ACCOUNT, "user", "AIDA1", "p", '{"v":"first"}')
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)  # the second is now waiting on the first's row
    thread.join(10)
    assert errors == []
    with pg.reading() as unit:
        assert unit.inline_policies.list("user", "AIDA1") == [("p", '{"v":"second"}')]
