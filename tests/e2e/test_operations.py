"""What an operator watches: Prometheus metrics, readiness distinct from liveness, and
``serve --workers N`` (several processes on one port, one store)."""

from __future__ import annotations

import http.client
import json
import os
import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import POSTGRES_URL, require_postgres
from tests.e2e.conftest import RunningServer, start_server, stop_server


def _get(server: RunningServer, path: str) -> tuple[int, str]:
    url = urllib.parse.urlsplit(server.endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _samples(text: str) -> dict[str, float]:
    """``name{labels}`` -> value, from the text exposition format."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            found[series] = float(value)
    return found


@pytest.fixture
def data_server(tmp_path: Path) -> Iterator[RunningServer]:
    server = start_server(["--data-dir", str(tmp_path / "data")], {})
    yield server
    stop_server(server)


def test_metrics_count_requests_errors_decisions_caches_and_the_audit_queue(data_server: RunningServer) -> None:
    iam = data_server.client("iam")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    with pytest.raises(ClientError):
        iam.get_user(UserName="nobody")
    # alice has no policy: her call is denied by the policy engine.
    alice = data_server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    for _ in range(2):
        with pytest.raises(ClientError):
            alice.list_users()
    status, text = _get(data_server, "/_iamd/metrics")
    assert status == 200
    samples = _samples(text)
    assert samples['iamd_requests_total{service="iam",operation="CreateUser",code="OK"}'] == 1
    assert samples['iamd_requests_total{service="iam",operation="GetUser",code="NoSuchEntity"}'] == 1
    assert samples['iamd_requests_total{service="iam",operation="ListUsers",code="AccessDenied"}'] == 2
    assert samples['iamd_request_duration_seconds_count{service="iam",operation="ListUsers"}'] == 2
    assert samples['iamd_request_duration_seconds_bucket{service="iam",operation="ListUsers",le="+Inf"}'] == 2
    assert samples['iamd_authorization_decisions_total{decision="deny"}'] == 2
    assert samples['iamd_authorization_denials_total{action="iam:ListUsers"}'] == 2
    # alice's key: looked up once, then found in the cache.
    assert samples['iamd_cache_requests_total{cache="access_keys",result="hit"}'] >= 1
    assert samples['iamd_cache_requests_total{cache="caller_policies",result="hit"}'] >= 1
    assert 'iamd_audit_queue_depth' in samples
    assert "# TYPE iamd_request_duration_seconds histogram" in text


def test_a_made_up_action_is_not_a_label(data_server: RunningServer) -> None:
    status, _ = _get(data_server, "/?Action=Made" + "Up" * 3)
    assert status == 403  # unsigned
    _, text = _get(data_server, "/_iamd/metrics")
    assert "MadeUp" not in text
    assert 'operation="unknown",code="MissingAuthenticationToken"' in text


def test_readiness_asks_the_store_and_liveness_does_not(data_server: RunningServer, tmp_path: Path) -> None:
    status, body = _get(data_server, "/_iamd/ready")
    assert status == 200 and json.loads(body)["status"] == "ready"
    # The schema falls behind (as when another node runs an older iamd's migrations).
    with sqlite3.connect(tmp_path / "data" / "iamd.sqlite3") as database:
        current = database.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        database.execute("UPDATE alembic_version SET version_num = 'behind'")
    try:
        status, body = _get(data_server, "/_iamd/ready")
        assert status == 503 and "migration" in json.loads(body)["reason"]
        assert _get(data_server, "/_iamd/health")[0] == 200
    finally:
        with sqlite3.connect(tmp_path / "data" / "iamd.sqlite3") as database:
            database.execute("UPDATE alembic_version SET version_num = ?", (current,))
    assert _get(data_server, "/_iamd/ready")[0] == 200


# -- several workers -----------------------------------------------------------------------


class Pinned:
    """One keep-alive connection, so every request on it reaches the same worker."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        url = urllib.parse.urlsplit(server.endpoint)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        self.connection.request("GET", "/_iamd/ready")
        response = self.connection.getresponse()
        self.pid = json.loads(response.read())["pid"]

    def call(self, action: str, params: dict[str, str], key: tuple[str, str] | None = None,
             service: str = "iam") -> tuple[int, str]:
        body = urllib.parse.urlencode({"Action": action, "Version": "2010-05-08" if service == "iam" else "2011-06-15", **params})
        request = AWSRequest("POST", self.server.endpoint + "/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        access_key, secret = key or (self.server.access_key_id, self.server.secret_access_key)
        SigV4Auth(Credentials(access_key, secret), service, "us-east-1").add_auth(request)
        self.connection.request("POST", "/", body=body, headers=dict(request.headers.items()))
        response = self.connection.getresponse()
        return response.status, response.read().decode()

    def close(self) -> None:
        self.connection.close()


def _two_workers(server: RunningServer) -> tuple[Pinned, Pinned]:
    first = Pinned(server)
    for _ in range(200):
        other = Pinned(server)
        if other.pid != first.pid:
            return first, other
        other.close()
    raise AssertionError("200 connections all reached one worker")


@contextmanager
def _postgres_schema() -> Iterator[str]:
    import psycopg

    require_postgres()
    schema = "iamd_workers_" + os.urandom(4).hex()
    conninfo = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield POSTGRES_URL + f"?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_two_workers_serve_and_a_write_on_one_is_read_on_the_other(backend: str, tmp_path: Path) -> None:
    with _postgres_schema() if backend == "postgres" else _nothing() as url:
        args = ["--database-url", url] if url else ["--data-dir", str(tmp_path / "data")]
        env = {"IAMD_MASTER_KEY": "11" * 32} if url else {}
        server = start_server(["--workers", "2", *args], env, backend=backend)
        try:
            assert any(line.strip() == "workers: 2" for line in server.output)
            a, b = _two_workers(server)
            status, body = a.call("CreateUser", {"UserName": "bob"})
            assert status == 200, body
            status, body = b.call("GetUser", {"UserName": "bob"})
            assert status == 200 and "<UserName>bob</UserName>" in body, body
            # A key made through one worker signs requests that the other one checks.
            status, body = a.call("CreateAccessKey", {"UserName": "bob"})
            assert status == 200, body
            key_id = body.split("<AccessKeyId>")[1].split("<")[0]
            secret = body.split("<SecretAccessKey>")[1].split("<")[0]
            status, body = b.call("GetCallerIdentity", {}, key=(key_id, secret), service="sts")
            assert status == 200 and ":user/bob" in body, body
            a.close()
            b.close()
        finally:
            stop_server(server)
        assert server.process.returncode == 0


@contextmanager
def _nothing() -> Iterator[Any]:
    yield None


def test_workers_need_a_shared_store(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "iamd.cli", "serve", "--workers", "2", "--ephemeral", "--port", "0"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: --workers needs a store the workers share")
