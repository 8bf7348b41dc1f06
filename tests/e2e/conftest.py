"""A real iamd server, started by the tests on a free loopback port, per backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import POSTGRES_URL, require_postgres

ROOT_KEY = "AKIAIAMDTESTROOT0001"
ROOT_SECRET = "iamdTestRootSecretKey0000000000000000001"
ACCOUNT_ID = "111122223333"


@dataclass
class RunningServer:
    endpoint: str
    account_id: str
    access_key_id: str
    secret_access_key: str
    process: subprocess.Popen[str]
    backend: str
    output: list[str]
    drain: threading.Thread | None = None

    def client(self, service: str, *, access_key_id: str | None = None,
               secret_access_key: str | None = None, session_token: str | None = None,
               region: str = "us-east-1") -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
            aws_session_token=session_token,
            config=Config(retries={"max_attempts": 1}),
        )

    def admin(self, method: str, path: str, payload: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def account_in(self, partition: str, region: str) -> PartitionAccount:
        """A new account in another partition, with clients signed for one of its regions."""
        status, created = self.admin("POST", "/_iamd/accounts", {"partition": partition})
        assert status == 201, created
        return PartitionAccount(self, created["account_id"], created["access_key_id"],
                                created["secret_access_key"], region)

    def wait_for_line(self, prefix: str, timeout: float = 30) -> str:
        """The first line of the server's output that starts with ``prefix`` (the output is
        read by a thread of its own, so read it here rather than from the process)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.output):
                if line.startswith(prefix):
                    return line
            if self.process.poll() is not None and (self.drain is None or not self.drain.is_alive()):
                break
            time.sleep(0.02)
        raise AssertionError(f"no line starting with {prefix!r} in:\n" + "".join(self.output))

    def reset(self) -> None:
        status, _ = self.admin("POST", "/_iamd/reset")
        assert status == 200

    def cli_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            AWS_ACCESS_KEY_ID=self.access_key_id,
            AWS_SECRET_ACCESS_KEY=self.secret_access_key,
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        )
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        return env


@dataclass
class PartitionAccount:
    server: RunningServer
    account_id: str
    access_key_id: str
    secret_access_key: str
    region: str

    def client(self, service: str) -> Any:
        return self.server.client(service, access_key_id=self.access_key_id,
                                  secret_access_key=self.secret_access_key, region=self.region)


@pytest.fixture
def china(server: RunningServer) -> PartitionAccount:
    """An account in the aws-cn partition of the shared server."""
    return server.account_in("aws-cn", "cn-north-1")


def start_server(args: list[str], env_extra: dict[str, str], backend: str = "sqlite") -> RunningServer:
    env = dict(os.environ)
    env.update(
        IAMD_ROOT_ACCESS_KEY_ID=ROOT_KEY,
        IAMD_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET,
        IAMD_ACCOUNT_ID=ACCOUNT_ID,
        IAMD_LOG_LEVEL="warning",
    )
    env.update(env_extra)
    process = subprocess.Popen(
        [sys.executable, "-m", "iamd.cli", "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    output: list[str] = []
    endpoint = None
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if line.startswith("export AWS_ENDPOINT_URL="):
            endpoint = line.split("=", 1)[1].strip()
            break
    if endpoint is None:
        process.kill()
        raise RuntimeError("iamd did not start:\n" + "".join(output) + (process.stdout.read() or ""))
    # Keep reading the server's output: a pipe nobody reads fills up, and a server whose log
    # write blocks stops answering.
    drain = threading.Thread(target=_drain, args=(process.stdout, output), daemon=True)
    drain.start()
    for _ in range(100):
        try:
            urllib.request.urlopen(endpoint + "/_iamd/health", timeout=2).read()
            break
        except OSError:
            time.sleep(0.05)
    return RunningServer(
        endpoint=endpoint, account_id=env["IAMD_ACCOUNT_ID"], access_key_id=env["IAMD_ROOT_ACCESS_KEY_ID"],
        secret_access_key=env["IAMD_ROOT_SECRET_ACCESS_KEY"], process=process, backend=backend, output=output,
        drain=drain,
    )


def _drain(stream: Any, output: list[str]) -> None:
    for line in stream:
        if len(output) < 10_000:
            output.append(line)


def stop_server(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    if server.drain is not None:
        server.drain.join(timeout=10)  # every line the server wrote is in ``output`` now


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def live_server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """An ephemeral server per backend, shared by the session; use ``server`` in tests."""
    args = ["--ephemeral"]
    if request.param == "postgres":
        require_postgres()
        args += ["--database-url", POSTGRES_URL]
    server = start_server(args, {}, backend=request.param)
    yield server
    stop_server(server)


@pytest.fixture
def server(live_server: RunningServer) -> RunningServer:
    """The shared server, reset to its freshly bootstrapped state before the test."""
    live_server.reset()
    return live_server


@pytest.fixture
def iam(server: RunningServer) -> Any:
    return server.client("iam")


@pytest.fixture
def sts(server: RunningServer) -> Any:
    return server.client("sts")


REPO_ROOT = Path(__file__).resolve().parents[2]


def error_of(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    """Call an AWS client method that must fail: (error code, HTTP status, message)."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    return error["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"], error.get("Message", "")
