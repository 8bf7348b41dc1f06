"""Fixtures of the store's tests beyond the shared ``db`` (both backends)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from iamd.store import Database
from tests.conftest import POSTGRES_URL, require_postgres


@pytest.fixture
def pg() -> Iterator[Database]:
    """A migrated, empty PostgreSQL store in a schema of its own, for what only PostgreSQL
    has (LISTEN/NOTIFY, pooled connections the server can close)."""
    require_postgres()
    database = Database(POSTGRES_URL, schema_name="iamd_test_" + uuid.uuid4().hex[:12])
    database.create_schema()
    database.migrate()
    yield database
    database.drop_schema()
    database.dispose()
