"""No acknowledged write is lost when the server is killed (``kill -9``) under write load.

Each round starts the server on the same store, runs four writers creating users with
names of their own, and kills the server at a random moment of the load; the next start
must open the store cleanly and hold every user whose CreateUser was answered 200.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from tests.conftest import POSTGRES_URL, require_postgres
from tests.e2e.conftest import RunningServer, start_server, stop_server

ROUNDS = 10
WRITERS = 4


@contextmanager
def _store(backend: str, tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """(``serve`` arguments, environment) of a store that outlives each server."""
    data_dir = ["--data-dir", str(tmp_path / "data")]
    if backend == "sqlite":
        yield data_dir, {}
        return
    import psycopg

    require_postgres()
    schema = "iamd_crash_" + os.urandom(4).hex()
    conninfo = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = POSTGRES_URL + f"?options=-csearch_path%3D{schema}"
        yield [*data_dir, "--database-url", url], {}
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _user_names(server: RunningServer) -> set[str]:
    iam = server.client("iam")
    names = {u["UserName"] for page in iam.get_paginator("list_users").paginate() for u in page["Users"]}
    iam.close()
    return names


def _load_and_kill(server: RunningServer, round_number: int, rng: random.Random) -> tuple[set[str], list[str]]:
    """Write until the server is killed: (names acknowledged, server errors seen)."""
    acknowledged: set[str] = set()
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    first_ack = threading.Event()

    def writer(number: int) -> None:
        iam: Any = server.client("iam")
        sequence = 0
        while not stop.is_set():
            name = f"r{round_number}-w{number}-{sequence}"
            sequence += 1
            try:
                iam.create_user(UserName=name)
            except ClientError as exc:
                with lock:
                    failures.append(f"{name}: {exc.response['Error']['Code']}")
                continue
            except BotoCoreError:
                return  # the server is gone
            except ResponseParserError:
                # Killed between the status line and the body: an empty answer, which is
                # no acknowledgement. From a server that was not killed it is a failure.
                if stop.wait(10):
                    return
                raise
            with lock:
                acknowledged.add(name)
            first_ack.set()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    assert first_ack.wait(30), "no CreateUser was answered"
    time.sleep(rng.uniform(0.2, 1.0))
    server.process.kill()
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join(30)
    return acknowledged, failures


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_no_acknowledged_write_is_lost_under_kill_9(backend: str, tmp_path: Path) -> None:
    rng = random.Random(12)
    acknowledged: set[str] = set()
    with _store(backend, tmp_path) as (args, env):
        for round_number in range(ROUNDS + 1):
            server = start_server(args, env, backend=backend)
            try:
                assert server.admin("GET", "/_iamd/ready")[0] == 200, "".join(server.output)
                missing = acknowledged - _user_names(server)
                assert not missing, f"round {round_number}: acknowledged users lost: {sorted(missing)[:10]}"
                if round_number == ROUNDS:
                    break
                written, failures = _load_and_kill(server, round_number, rng)
                assert not failures, failures[:10]
                assert written, "the writers wrote nothing before the kill"
                acknowledged |= written
            finally:
                if server.process.poll() is None:
                    stop_server(server)
    print(f"\n{backend}: {len(acknowledged)} acknowledged users over {ROUNDS} kills, none lost")
