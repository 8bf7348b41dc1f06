"""The ``iamd`` command as an operator meets it: each bad start is one line on stderr, a
non-zero exit, and nothing created or overwritten."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd import __version__
from iamd.cli import banner
from iamd.server.settings import Settings
from iamd.services.accounts import NewAccount, RootCredentials

CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("IAMD_", "AWS_"))}


def iamd(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli", *args], cwd=cwd, env={**CLEAN_ENV, **(env or {})},
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``error: ...`` line of a failed command (and no traceback)."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A data dir with a store, its master key and one account (made by the CLI)."""
    data = tmp_path / "data"
    created = iamd("accounts", "create", "--data-dir", str(data), "--account-id", "123456789012", "--json", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    return data


def test_version(tmp_path: Path) -> None:
    result = iamd("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, f"iamd {__version__}")


@pytest.mark.parametrize("args", [
    ["serve", "--bogus"],
    ["serve", "--port", "abc"],
    ["serve", "--enforcement", "maybe"],
    ["serve", "--port", "70000"],
    ["accounts", "create", "--account-id", "12345"],
])
def test_bad_option_creates_nothing(tmp_path: Path, args: list[str]) -> None:
    line = one_line_error(iamd(*args, cwd=tmp_path))
    assert "--help" in line or "must" in line
    assert tree(tmp_path) == []


@pytest.mark.parametrize("variable,value", [
    ("IAMD_PORT", "eighty"), ("IAMD_ACCOUNT_ID", "12"), ("IAMD_ROOT_ACCESS_KEY_ID", "not a key!"),
])
def test_bad_setting_creates_nothing(tmp_path: Path, variable: str, value: str) -> None:
    env = {variable: value}
    if variable == "IAMD_ROOT_ACCESS_KEY_ID":
        env["IAMD_ROOT_SECRET_ACCESS_KEY"] = "secret"
    result = iamd("serve", "--port", "0", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert variable in one_line_error(result)
    assert tree(tmp_path) == []


def test_port_in_use_creates_nothing(tmp_path: Path, busy_port: int) -> None:
    result = iamd("serve", "--port", str(busy_port), cwd=tmp_path)
    assert f"cannot listen on 127.0.0.1:{busy_port}" in one_line_error(result)
    assert result.stdout == ""
    assert tree(tmp_path) == []


def test_bad_master_key_creates_nothing(tmp_path: Path) -> None:
    result = iamd("serve", "--port", "0", cwd=tmp_path, env={"IAMD_MASTER_KEY": "not-a-key"})
    assert "IAMD_MASTER_KEY" in one_line_error(result)
    assert tree(tmp_path) == []


def test_missing_key_file_is_refused_and_never_replaced(store: Path, tmp_path: Path) -> None:
    (store / "master.key").unlink()
    before = (store / "iamd.sqlite3").read_bytes()
    result = iamd("serve", "--port", "0", "--data-dir", str(store), cwd=tmp_path)
    line = one_line_error(result)
    assert "master.key" in line and "missing" in line
    assert "AWS_SECRET_ACCESS_KEY" not in result.stdout
    assert not (store / "master.key").exists()
    assert (store / "iamd.sqlite3").read_bytes() == before
    # The CLI refuses the same way.
    assert "master.key" in one_line_error(iamd("accounts", "list", "--data-dir", str(store), cwd=tmp_path))


def test_a_key_that_did_not_seal_the_store_is_refused(store: Path, tmp_path: Path) -> None:
    other = base64.b64encode(b"\x07" * 32).decode()
    result = iamd("serve", "--port", "0", "--data-dir", str(store), cwd=tmp_path, env={"IAMD_MASTER_KEY": other})
    assert "master key" in one_line_error(result)
    # The right key, given in the environment instead of the file, opens it.
    right = (store / "master.key").read_text().strip()
    listed = iamd("accounts", "list", "--data-dir", str(store), "--json", cwd=tmp_path, env={"IAMD_MASTER_KEY": right})
    assert [a["account_id"] for a in json.loads(listed.stdout)] == ["123456789012"]


def test_a_store_made_before_key_checks_is_checked_by_its_secrets(store: Path, tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(store / "iamd.sqlite3") as connection:
        connection.execute("DELETE FROM store_meta")
    other = base64.b64encode(b"\x07" * 32).decode()
    refused = iamd("accounts", "list", "--data-dir", str(store), cwd=tmp_path, env={"IAMD_MASTER_KEY": other})
    assert "master key" in one_line_error(refused)
    assert iamd("accounts", "list", "--data-dir", str(store), cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("command", [["accounts", "list"], ["audit", "export"], ["accounts", "reset-root-key", "123456789012"]])
def test_commands_on_a_missing_store_create_nothing(tmp_path: Path, command: list[str]) -> None:
    line = one_line_error(iamd(*command, "--data-dir", str(tmp_path / "data"), cwd=tmp_path))
    assert "no iamd store" in line
    assert tree(tmp_path) == []


def test_unreadable_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "iamd.sqlite3").write_bytes(b"this is not a database" * 100)
    (data / "master.key").write_text(base64.b64encode(b"\x01" * 32).decode())
    for command in (["serve", "--port", "0"], ["accounts", "list"], ["audit", "export"]):
        line = one_line_error(iamd(*command, "--data-dir", str(data), cwd=tmp_path))
        assert "database" in line


def test_data_dir_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    line = one_line_error(iamd("serve", "--port", "0", "--data-dir", str(blocker / "data"), cwd=tmp_path))
    assert str(blocker) in line


def test_postgresql_that_cannot_be_reached(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    line = one_line_error(iamd("accounts", "list", "--database-url", url, cwd=tmp_path))
    assert "cannot reach the database" in line


def test_reset_root_key_on_the_store(store: Path, tmp_path: Path) -> None:
    reset = iamd("accounts", "reset-root-key", "123456789012", "--data-dir", str(store), "--json", cwd=tmp_path)
    assert reset.returncode == 0, reset.stderr
    key = json.loads(reset.stdout)
    assert key["account_id"] == "123456789012" and key["access_key_id"].startswith("AKIA")
    missing = iamd("accounts", "reset-root-key", "999999999999", "--data-dir", str(store), cwd=tmp_path)
    assert "999999999999 does not exist" in one_line_error(missing)


def test_banner_prints_credentials_a_shell_can_paste() -> None:
    created = NewAccount("123456789012", None, RootCredentials("AKIAEXAMPLEEXAMPLE00", "s3cret/x+y"))
    lines = banner(Settings(enforcement="soft"), Path("d"), "http://127.0.0.1:9", created)
    assert lines[-4:] == [
        "export AWS_ACCESS_KEY_ID=AKIAEXAMPLEEXAMPLE00",
        "export AWS_SECRET_ACCESS_KEY=s3cret/x+y",
        "export AWS_DEFAULT_REGION=us-east-1",
        "export AWS_ENDPOINT_URL=http://127.0.0.1:9",
    ]
    assert any("SOFT" in line for line in lines)
    quiet = banner(Settings(), Path("d"), "http://127.0.0.1:9", None)
    assert quiet[-1] == "export AWS_ENDPOINT_URL=http://127.0.0.1:9"
    assert not any("SOFT" in line or "AWS_SECRET" in line for line in quiet)
