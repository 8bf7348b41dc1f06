"""Fixtures shared by the whole suite: database URLs for both backends."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from iamd.store import Database

POSTGRES_URL = os.environ.get(
    "IAMD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# CI sets IAMD_REQUIRE_POSTGRES=1: there a missing PostgreSQL fails the run instead of skipping.
REQUIRE_POSTGRES = os.environ.get("IAMD_REQUIRE_POSTGRES") == "1"
# CI sets IAMD_REQUIRE_SHARED=1: there a missing ../shared folder (the policy vectors, the
# managed policy catalogue's source) fails the run instead of skipping.
REQUIRE_SHARED = os.environ.get("IAMD_REQUIRE_SHARED") == "1"


def missing_shared(path: object, what: str) -> Any:
    """The one parameter of a test whose data in ../shared is absent: skipped with a reason
    that names the folder, except where CI requires ../shared (see ``fail_missing_shared``)."""
    reason = f"{what} not found at {path} (../shared beside the repository)"
    marks = [] if REQUIRE_SHARED else [pytest.mark.skip(reason=reason)]
    return pytest.param(MissingShared(reason), id="shared-absent", marks=marks)


class MissingShared:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def fail_missing_shared(case: object) -> None:
    """Fail the run when a test's ../shared data is absent and CI requires it."""
    if isinstance(case, MissingShared):
        pytest.fail(f"IAMD_REQUIRE_SHARED=1 but {case.reason}")


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    import psycopg

    conninfo = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(conninfo, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as exc:  # any failure to connect means "not available here"
        return f"PostgreSQL not reachable at {conninfo}: {exc}"
    return None


_PG_REASON: list[str | None] = []


def require_postgres() -> None:
    if not _PG_REASON:
        _PG_REASON.append(postgres_available())
    reason = _PG_REASON[0]
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"IAMD_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of an empty database on each backend; PostgreSQL gets a fresh schema."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "iamd.sqlite3"
        yield f"sqlite:///{path}", None
        return
    require_postgres()
    yield POSTGRES_URL, "iamd_test_" + uuid.uuid4().hex[:12]


@pytest.fixture
def db(database_url: tuple[str, str | None]) -> Iterator[Database]:
    """A migrated, empty store on each backend (PostgreSQL in a schema dropped afterwards)."""
    from iamd.store import Database

    url, schema_name = database_url
    database = Database(url, schema_name=schema_name)
    if schema_name:
        database.create_schema()
    database.migrate()
    yield database
    if schema_name:
        database.drop_schema()
    database.dispose()
