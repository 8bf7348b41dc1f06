"""Persistent state: SQLAlchemy Core tables, repositories per aggregate, Alembic migrations.

SQLite (WAL, synchronous=FULL) is the embedded default; PostgreSQL (psycopg 3) is selected
by a ``postgresql+psycopg://`` URL. Both pass the same contract tests.
"""

from iamd.store.database import Database, StoreError, UnitOfWork, sqlite_url
from iamd.store.repositories import DuplicateKey
from iamd.store.records import AccessKeyRecord, AccountRecord, UserRecord

__all__ = ["Database", "DuplicateKey", "StoreError", "UnitOfWork", "sqlite_url", "AccessKeyRecord", "AccountRecord", "UserRecord"]
