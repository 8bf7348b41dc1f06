"""``iamd backup`` while the server writes, and ``iamd restore``: a consistent copy that
opens with its master key; an existing store is replaced only when forced."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.e2e.conftest import start_server, stop_server


def _iamd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IAMD_")}
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli", *args], capture_output=True, text=True, timeout=120, check=False,
        env={**clean, **(env or {})}, stdin=subprocess.DEVNULL,
    )


def _error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_backup_under_write_load_then_restore(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = start_server(["--data-dir", str(data_dir)], {})
    stop = threading.Event()
    made: list[str] = []
    try:
        iam = server.client("iam")
        iam.create_user(UserName="before")

        def write() -> None:
            writer = server.client("iam")
            while not stop.is_set():
                name = f"u{len(made)}"
                writer.create_user(UserName=name)
                made.append(name)

        thread = threading.Thread(target=write)
        thread.start()
        while len(made) < 5:
            time.sleep(0.01)
        result = _iamd("backup", "--data-dir", str(data_dir), str(tmp_path / "backup"))
        stop.set()
        thread.join()
        assert result.returncode == 0, result.stderr
        assert "the master key is not in the backup" in result.stdout
    finally:
        stop.set()
        stop_server(server)
    copied = tmp_path / "backup" / "iamd.sqlite3"
    assert sorted(p.name for p in (tmp_path / "backup").iterdir()) == ["iamd.sqlite3"]
    with sqlite3.connect(copied) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = {row[0] for row in connection.execute("SELECT name FROM users")}
    # A snapshot: the user made first, a prefix of those made under load, nothing torn.
    assert "before" in names and 5 <= len(names) - 1 <= len(made)
    assert names - {"before"} == set(made[: len(names) - 1])

    # Into a new data dir: the backup has no key, so the store's key must come along.
    restored = tmp_path / "restored"
    assert "has no master key" in _error(_iamd("restore", str(tmp_path / "backup"), "--data-dir", str(restored)))
    wrong = {"IAMD_MASTER_KEY": base64.b64encode(bytes(32)).decode()}
    assert "not the one" in _error(_iamd("restore", str(tmp_path / "backup"), "--data-dir", str(restored), env=wrong))
    assert not (restored / "iamd.sqlite3").exists()
    restored.mkdir()
    (restored / "master.key").write_bytes((data_dir / "master.key").read_bytes())
    result = _iamd("restore", str(tmp_path / "backup"), "--data-dir", str(restored))
    assert result.returncode == 0, result.stderr
    server = start_server(["--data-dir", str(restored)], {})
    try:
        assert server.client("iam").get_user(UserName="before")["User"]["UserName"] == "before"
    finally:
        stop_server(server)


def test_restore_over_a_store_needs_force_and_keeps_what_it_replaced(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert _iamd("accounts", "create", "--data-dir", str(data_dir), "--account-id", "111111111111").returncode == 0
    backup = _iamd("backup", "--data-dir", str(data_dir), str(tmp_path / "backup"), "--include-key")
    assert backup.returncode == 0, backup.stderr
    assert (tmp_path / "backup" / "master.key").exists()
    # Another store, another key.
    other = tmp_path / "other"
    assert _iamd("accounts", "create", "--data-dir", str(other), "--account-id", "222222222222").returncode == 0
    before = (other / "iamd.sqlite3").read_bytes()
    assert "already holds a store" in _error(_iamd("restore", str(tmp_path / "backup"), "--data-dir", str(other)))
    assert (other / "iamd.sqlite3").read_bytes() == before
    forced = _iamd("restore", str(tmp_path / "backup"), "--data-dir", str(other), "--force")
    assert forced.returncode == 0, forced.stderr
    listed = _iamd("accounts", "list", "--data-dir", str(other))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("111111111111")
    assert (other / "iamd.sqlite3.before-restore").exists() and (other / "master.key.before-restore").exists()


def test_backup_refusals(tmp_path: Path) -> None:
    assert "no iamd store" in _error(_iamd("backup", "--data-dir", str(tmp_path / "none"), str(tmp_path / "b")))
    postgres = _iamd("backup", "--database-url", "postgresql+psycopg://u@127.0.0.1/db", str(tmp_path / "b"))
    assert postgres.returncode == 2 and "pg_dump" in _error(postgres)
    data_dir = tmp_path / "data"
    assert _iamd("accounts", "create", "--data-dir", str(data_dir)).returncode == 0
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert "already exists" in _error(_iamd("backup", "--data-dir", str(data_dir), str(tmp_path / "full")))
    assert "no iamd backup" in _error(_iamd("restore", str(tmp_path / "full"), "--data-dir", str(data_dir)))
