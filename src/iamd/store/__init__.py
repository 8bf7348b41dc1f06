"""Persistent state: SQLAlchemy Core tables, repositories per aggregate, Alembic migrations.

SQLite (WAL, synchronous=FULL) is the embedded default; PostgreSQL (psycopg 3) is selected
by a ``postgresql+psycopg://`` URL. Both pass the same contract tests.
"""

from iamd.store.base import DuplicateKey, QuotaReached, ReferenceGone
from iamd.store.database import Database, StoreError, UnitOfWork, sqlite_url
from iamd.store.records import AccessKeyRecord, AccountRecord, KeyOwner, UserRecord

__all__ = ["AccessKeyRecord", "AccountRecord", "Database", "DuplicateKey", "KeyOwner", "QuotaReached", "ReferenceGone", "StoreError", "UnitOfWork", "UserRecord", "sqlite_url"]
