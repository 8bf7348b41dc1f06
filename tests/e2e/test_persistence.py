"""A server on a real data directory: secrets at rest, the accounts CLI, restarts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, require_postgres
from tests.e2e.conftest import ROOT_SECRET, start_server, stop_server


def _iamd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli", *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_secrets_are_not_stored_in_plain_text(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = start_server(["--data-dir", str(data_dir)], {})
    try:
        created = _iamd("accounts", "create", "--data-dir", str(data_dir), "--json")
        assert created.returncode == 0, created.stderr
        account = json.loads(created.stdout)
        # The running server sees the new account at once.
        identity = server.client(
            "sts", access_key_id=account["access_key_id"], secret_access_key=account["secret_access_key"]
        ).get_caller_identity()
        assert identity["Account"] == account["account_id"]
        # No reset endpoint without --ephemeral.
        assert server.admin("POST", "/_iamd/reset")[0] == 404
    finally:
        stop_server(server)
    key_file = data_dir / "master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    stored = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("iamd.sqlite3"))
    assert b"AKIAIAMDTESTROOT0001" in stored  # the key id is there: the test reads the right file
    for secret in (ROOT_SECRET, account["secret_access_key"]):
        assert secret.encode() not in stored
        assert secret.encode("utf-16-le") not in stored


def test_restart_keeps_accounts_and_prints_generated_credentials_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {"IAMD_ROOT_ACCESS_KEY_ID": "", "IAMD_ROOT_SECRET_ACCESS_KEY": "", "IAMD_ACCOUNT_ID": ""}
    first = start_server(["--data-dir", str(data_dir)], env)
    stop_server(first)
    text = "".join(first.output) + (first.process.stdout.read() if first.process.stdout else "")
    key = text.split("AWS_ACCESS_KEY_ID=")[1].split()[0]
    secret = text.split("AWS_SECRET_ACCESS_KEY=")[1].split()[0]
    assert key.startswith("AKIA") and len(key) == 20 and len(secret) == 40
    second = start_server(["--data-dir", str(data_dir)], env)
    try:
        identity = second.client("sts", access_key_id=key, secret_access_key=secret).get_caller_identity()
        assert identity["Arn"].endswith(":root")
        assert "AWS_SECRET_ACCESS_KEY" not in "".join(second.output)
    finally:
        stop_server(second)
    listed = _iamd("accounts", "list", "--data-dir", str(data_dir), "--json")
    assert [a["account_id"] for a in json.loads(listed.stdout)] == [identity["Account"]]


def test_accounts_cli_on_postgresql() -> None:
    require_postgres()
    schema = "iamd_cli_" + os.urandom(4).hex()
    url = POSTGRES_URL + f"?options=-csearch_path%3D{schema}"
    import psycopg

    conninfo = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        env = {"IAMD_MASTER_KEY": "00" * 32}
        created = _iamd("accounts", "create", "--database-url", url, "--account-id", "444455556666", "--json", env=env)
        assert created.returncode == 0, created.stderr
        assert json.loads(created.stdout)["account_id"] == "444455556666"
        again = _iamd("accounts", "create", "--database-url", url, "--account-id", "444455556666", env=env)
        assert again.returncode == 1 and "already exists" in again.stderr
        server = start_server(["--database-url", url], {"IAMD_MASTER_KEY": "00" * 32})
        try:
            account = json.loads(created.stdout)
            sts = server.client("sts", access_key_id=account["access_key_id"], secret_access_key=account["secret_access_key"])
            assert sts.get_caller_identity()["Account"] == "444455556666"
        finally:
            stop_server(server)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.parametrize("bad", ["12345", "abcdefghijkl"])
def test_bad_account_id_is_refused(tmp_path: Path, bad: str) -> None:
    result = _iamd("accounts", "create", "--data-dir", str(tmp_path), "--account-id", bad)
    assert result.returncode != 0
    assert "12 digits" in result.stderr


def test_reset_root_key_while_the_server_runs(tmp_path: Path) -> None:
    from botocore.exceptions import ClientError

    data_dir = tmp_path / "data"
    server = start_server(["--data-dir", str(data_dir)], {})
    try:
        assert server.client("sts").get_caller_identity()["Account"] == server.account_id
        reset = _iamd("accounts", "reset-root-key", server.account_id, "--data-dir", str(data_dir), "--json")
        assert reset.returncode == 0, reset.stderr
        new = json.loads(reset.stdout)
        sts = server.client("sts", access_key_id=new["access_key_id"], secret_access_key=new["secret_access_key"])
        assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{server.account_id}:root"
        # The lost key no longer works.
        with pytest.raises(ClientError) as info:
            server.client("sts").get_caller_identity()
        assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"
    finally:
        stop_server(server)


@pytest.mark.parametrize("key,secret", [("test", "test"), ("testing", "testing"), ("FOOBARKEY", "FOOBARSECRET")])
def test_keys_of_other_emulators_work_when_set_explicitly(tmp_path: Path, key: str, secret: str) -> None:
    server = start_server(["--ephemeral"], {"IAMD_ROOT_ACCESS_KEY_ID": key, "IAMD_ROOT_SECRET_ACCESS_KEY": secret})
    try:
        assert server.client("sts").get_caller_identity()["Arn"].endswith(":root")
        # The operator is told the key is not AWS-shaped; generated keys stay AWS-shaped.
        assert any(line.startswith("warning: IAMD_ROOT_ACCESS_KEY_ID") for line in server.output)
        created = server.client("iam").create_access_key(UserName=server.client("iam").create_user(
            UserName="u")["User"]["UserName"])["AccessKey"]
        assert created["AccessKeyId"].startswith("AKIA") and len(created["AccessKeyId"]) == 20
    finally:
        stop_server(server)
