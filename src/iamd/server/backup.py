"""``iamd backup`` and ``iamd restore`` for SQLite stores.

A backup is a directory laid out like a data directory: ``iamd.sqlite3``, copied with
SQLite's online backup API (a consistent snapshot, taken while a server keeps writing),
and, only when asked (``--include-key``), ``master.key``. Without the key the backup's
secrets stay sealed: keep the key elsewhere, as the deployment guide says.

A restore refuses a data directory that already holds a store unless forced (the replaced
store is then kept as ``iamd.sqlite3.before-restore``, with its key), and never
leaves a store that its master key does not open: it checks the backup's key check value
against the key it will be opened with before putting anything in place. A PostgreSQL
store is backed up with ``pg_dump`` (docs/deployment.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from iamd.server.keys import KEY_FILE, OLD_KEY_FILE, write_key_atomically
from iamd.services.crypto import SecretBox, decode_master_key, read_key_file
from iamd.services.master_key import KEY_CHECK

SQLITE_FILE = "iamd.sqlite3"
BEFORE_RESTORE = ".before-restore"


class BackupError(Exception):
    """The backup or restore cannot be done; the message is one line for the operator."""


@dataclass
class BackupResult:
    path: Path
    size: int
    with_key: bool


def backup(data_dir: Path, out: Path, *, include_key: bool = False) -> BackupResult:
    source_file = data_dir / SQLITE_FILE
    if not source_file.exists():
        raise BackupError(f"no iamd store in `{data_dir}`")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"`{out}` already exists; name a new directory")
    out.mkdir(parents=True, exist_ok=True)
    target_file = out / SQLITE_FILE
    # Read-only: the backup never writes to the live store (nor creates it).
    source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True, timeout=30)
    try:
        target = sqlite3.connect(target_file)
        try:
            # pages=-1: one step, under one read transaction, so the copy is one snapshot
            # however much a running server writes meanwhile (WAL readers never block it).
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()
    os.chmod(target_file, 0o600)
    if include_key:
        shutil.copy2(data_dir / KEY_FILE, out / KEY_FILE)
        os.chmod(out / KEY_FILE, 0o600)
        if (data_dir / OLD_KEY_FILE).exists():
            shutil.copy2(data_dir / OLD_KEY_FILE, out / OLD_KEY_FILE)
    return BackupResult(out, target_file.stat().st_size, include_key)


def _check_value(database: Path) -> str | None:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        problems = connection.execute("PRAGMA integrity_check").fetchall()
        if problems != [("ok",)]:
            raise BackupError(f"the backup `{database}` is damaged: {problems[0][0]}")
        row = connection.execute("SELECT value FROM store_meta WHERE name = ?", (KEY_CHECK,)).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"`{database}` is not an iamd store: {exc}") from None
    finally:
        connection.close()
    return None if row is None else str(row[0])


def restore(backup_dir: Path, data_dir: Path, *, master_key: str | None, force: bool = False) -> Path:
    """Put the backup in ``backup_dir`` in place as the store of ``data_dir``; returns the
    key file the store opens with (or the data dir, when the key is IAMD_MASTER_KEY)."""
    source_file = backup_dir / SQLITE_FILE
    if not source_file.exists():
        raise BackupError(f"no iamd backup in `{backup_dir}` (it has no {SQLITE_FILE})")
    target_file = data_dir / SQLITE_FILE
    if target_file.exists() and not force:
        raise BackupError(
            f"`{data_dir}` already holds a store; stop its server and add --force to replace it"
        )
    stored = _check_value(source_file)
    # The key the restored store will be opened with: IAMD_MASTER_KEY, else the backup's
    # key file, else the one already in the data directory.
    backup_key = backup_dir / KEY_FILE
    if master_key:
        key, key_source = decode_master_key(master_key), None
    elif backup_key.exists():
        key, key_source = read_key_file(backup_key), backup_key
    elif (data_dir / KEY_FILE).exists():
        key, key_source = read_key_file(data_dir / KEY_FILE), None
    else:
        raise BackupError(
            f"the backup has no master key and `{data_dir}` has none: copy the store's master.key "
            "into the data directory or set IAMD_MASTER_KEY"
        )
    if stored is not None and SecretBox(key).check_value() != stored:
        raise BackupError("the master key is not the one the backup's secrets were sealed with")
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = data_dir / (SQLITE_FILE + ".restoring")
    shutil.copyfile(source_file, staging)
    os.chmod(staging, 0o600)
    if target_file.exists():
        # A forced restore keeps what it replaces (and the key that opens it) beside it.
        with sqlite3.connect(target_file) as replaced:
            replaced.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        replaced.close()
        os.replace(target_file, data_dir / (SQLITE_FILE + BEFORE_RESTORE))
        if key_source is not None and (data_dir / KEY_FILE).exists():
            shutil.copy2(data_dir / KEY_FILE, data_dir / (KEY_FILE + BEFORE_RESTORE))
    for suffix in ("-wal", "-shm", "-journal"):
        Path(str(target_file) + suffix).unlink(missing_ok=True)
    os.replace(staging, target_file)
    if key_source is not None:
        write_key_atomically(data_dir / KEY_FILE, key)
        if (backup_dir / OLD_KEY_FILE).exists():
            write_key_atomically(data_dir / OLD_KEY_FILE, read_key_file(backup_dir / OLD_KEY_FILE))
    return data_dir / KEY_FILE
