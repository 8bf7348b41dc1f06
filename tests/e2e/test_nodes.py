"""Several iamd servers on one PostgreSQL database behave as one.

Two servers (two "nodes") share a database created for this module. They poll the
state version only every 30 s here, so a policy change on one node that reaches the other
within a second can only have come by NOTIFY. Names and quotas hold across nodes when
both are raced at once.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError

from iamd.store.notifications import APPLICATION_NAME, conninfo
from tests.conftest import POSTGRES_URL, require_postgres
from tests.e2e.conftest import RunningServer, start_server, stop_server

USER_QUOTA = 5
POLL_INTERVAL = "30"


class Nodes:
    def __init__(self, a: RunningServer, b: RunningServer, database: str) -> None:
        self.a, self.b, self.database = a, b, database


def _admin_connection() -> psycopg.Connection[Any]:
    return psycopg.connect(conninfo(POSTGRES_URL), autocommit=True)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    require_postgres()
    database = "iamd_nodes_" + uuid.uuid4().hex[:12]
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + database
    env = {
        # Both nodes open the secrets the other sealed.
        "IAMD_MASTER_KEY": base64.b64encode(uuid.uuid4().bytes * 2).decode(),
        "IAMD_STATE_POLL_INTERVAL": POLL_INTERVAL,
        "IAMD_QUOTA_USERS_PER_ACCOUNT": str(USER_QUOTA),
    }
    servers: list[RunningServer] = []
    try:
        # One after the other: the first creates and migrates the store.
        for name in ("a", "b"):
            data_dir = tmp_path_factory.mktemp(f"node-{name}")
            servers.append(start_server(["--data-dir", str(data_dir), "--database-url", url], env, backend="postgres"))
        yield Nodes(servers[0], servers[1], database)
    finally:
        for server in servers:
            stop_server(server)
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture
def two(nodes: Nodes) -> Iterator[Nodes]:
    """The nodes, with every user a test made deleted afterwards."""
    yield nodes
    iam = nodes.a.client("iam")
    for user in iam.list_users()["Users"]:
        name = user["UserName"]
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
            iam.delete_user_policy(UserName=name, PolicyName=policy)
        for attached in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
            iam.detach_user_policy(UserName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_user(UserName=name)


def _policy(effect: str, action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": "*"}]})


def _metric(server: RunningServer, name: str) -> float:
    with urllib.request.urlopen(server.endpoint + "/_iamd/metrics", timeout=10) as response:
        text = response.read().decode()
    found = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    assert found, f"no {name} in the metrics"
    return float(found.group(1))


def _wait_until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def _code(call: Callable[[], object]) -> str:
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "OK"


def _time_until_denied(iam_b: Any, change: Callable[[], object], want: str) -> float:
    """Seconds from ``change`` (made on the other node) until node B answers ``want``."""
    change()
    started = time.monotonic()
    while time.monotonic() - started < 5.0:
        if _code(iam_b.list_users) == want:
            return time.monotonic() - started
        time.sleep(0.005)
    raise AssertionError(f"node B did not answer {want} within 5 s")


def _caller(two: Nodes) -> tuple[Any, Any]:
    """(node A's root client, node B's client for a user allowed iam:ListUsers)."""
    iam_a = two.a.client("iam")
    iam_a.create_user(UserName="caller")
    iam_a.put_user_policy(UserName="caller", PolicyName="allow", PolicyDocument=_policy("Allow", "iam:ListUsers"))
    key = iam_a.create_access_key(UserName="caller")["AccessKey"]
    iam_b = two.b.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    # A write on one node is visible on the other at once.
    assert two.b.client("iam").get_user(UserName="caller")["User"]["UserName"] == "caller"
    # Node B caches the key and the allow.
    assert _code(iam_b.list_users) == "OK"
    assert _code(iam_b.list_users) == "OK"
    return iam_a, iam_b


def test_a_policy_change_on_one_node_reaches_the_other_within_a_second(two: Nodes) -> None:
    assert _metric(two.b, "iamd_state_listener_connected") == 1
    iam_a, iam_b = _caller(two)
    deny = _time_until_denied(iam_b, lambda: iam_a.put_user_policy(
        UserName="caller", PolicyName="deny", PolicyDocument=_policy("Deny", "iam:ListUsers")), "AccessDenied")
    allow = _time_until_denied(iam_b, lambda: iam_a.delete_user_policy(UserName="caller", PolicyName="deny"), "OK")
    print(f"\nnode B saw the Deny after {deny * 1000:.0f} ms, its removal after {allow * 1000:.0f} ms")
    assert deny < 1.0 and allow < 1.0
    assert _metric(two.b, "iamd_state_notifications_total") >= 2


def test_the_listener_recovers_after_its_connection_is_terminated(two: Nodes) -> None:
    iam_a, iam_b = _caller(two)
    connects = _metric(two.b, "iamd_state_listener_connects_total")
    with _admin_connection() as admin:
        terminated = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (two.database, APPLICATION_NAME),
        ).fetchall()
    assert len(terminated) == 2  # one listener per node
    assert _wait_until(lambda: _metric(two.b, "iamd_state_listener_connects_total") == connects + 1)
    assert _metric(two.b, "iamd_state_listener_connected") == 1
    deny = _time_until_denied(iam_b, lambda: iam_a.put_user_policy(
        UserName="caller", PolicyName="deny", PolicyDocument=_policy("Deny", "iam:ListUsers")), "AccessDenied")
    print(f"\nafter reconnecting, node B saw the Deny after {deny * 1000:.0f} ms")
    assert deny < 1.0


def _race(calls: list[Callable[[], object]], threads: int = 16) -> Counter[str]:
    """Run every call, ``threads`` at a time, and count the outcomes by error code (OK)."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    pending = list(calls)
    start = threading.Barrier(threads)

    def work() -> None:
        start.wait()
        while True:
            with lock:
                if not pending:
                    return
                call = pending.pop()
            try:
                call()
                outcome = "OK"
            except ClientError as exc:
                status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
                outcome = f"{exc.response['Error']['Code']} {status}"
            with lock:
                outcomes[outcome] += 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


def _race_one_name(clients: list[Any]) -> None:
    names = [f"racer-{i}" for i in range(4)]
    # Twelve attempts per name, spread over the servers.
    calls: list[Callable[[], object]] = [
        functools.partial(clients[i % len(clients)].create_user, UserName=name)
        for name in names for i in range(12)
    ]
    outcomes = _race(calls)
    assert outcomes == Counter({"OK": len(names), "EntityAlreadyExists 409": 11 * len(names)})
    assert sorted(u["UserName"] for u in clients[-1].list_users()["Users"]) == names


def _race_past_the_quota(clients: list[Any]) -> None:
    existing = len(clients[0].list_users()["Users"])
    calls: list[Callable[[], object]] = [
        functools.partial(clients[i % len(clients)].create_user, UserName=f"quota-{i}") for i in range(40)
    ]
    outcomes = _race(calls)
    room = USER_QUOTA - existing
    assert outcomes == Counter({"OK": room, "LimitExceeded 409": 40 - room})
    assert len(clients[-1].list_users()["Users"]) == USER_QUOTA


def test_one_name_has_one_winner_across_nodes(two: Nodes) -> None:
    _race_one_name([two.a.client("iam"), two.b.client("iam")])


def test_a_quota_holds_across_nodes(two: Nodes) -> None:
    _race_past_the_quota([two.a.client("iam"), two.b.client("iam")])


def test_per_user_quotas_hold_across_nodes(two: Nodes) -> None:
    """CreateAccessKey and AttachUserPolicy take the account's lock with their look-up of
    the user: racing past a user's quota from two nodes never goes over it."""
    clients = [two.a.client("iam"), two.b.client("iam")]
    clients[0].create_user(UserName="keyholder")
    keys = _race([functools.partial(clients[i % 2].create_access_key, UserName="keyholder") for i in range(16)])
    assert keys == Counter({"OK": 2, "LimitExceeded 409": 14})
    assert len(clients[1].list_access_keys(UserName="keyholder")["AccessKeyMetadata"]) == 2
    policies = ["ReadOnlyAccess", "AdministratorAccess", "PowerUserAccess", "IAMReadOnlyAccess", "IAMFullAccess",
                "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess", "AmazonEC2FullAccess", "AmazonEC2ReadOnlyAccess",
                "AmazonDynamoDBFullAccess", "AmazonDynamoDBReadOnlyAccess", "AmazonSQSFullAccess",
                "AmazonSNSFullAccess", "CloudWatchFullAccess"]
    attached = _race([
        functools.partial(clients[i % 2].attach_user_policy, UserName="keyholder",
                          PolicyArn=f"arn:aws:iam::aws:policy/{name}")
        for i, name in enumerate(policies)
    ])
    assert attached == Counter({"OK": 10, "LimitExceeded 409": 4})
    assert len(clients[1].list_attached_user_policies(UserName="keyholder")["AttachedPolicies"]) == 10


def test_names_and_quotas_hold_across_workers_on_sqlite(tmp_path: Path) -> None:
    """Processes of ``serve --workers 2`` on one SQLite file: its write lock serialises them."""
    server = start_server(["--workers", "2", "--data-dir", str(tmp_path / "data")],
                          {"IAMD_QUOTA_USERS_PER_ACCOUNT": str(USER_QUOTA)})
    try:
        clients = [server.client("iam") for _ in range(2)]
        _race_one_name(clients)
        _race_past_the_quota(clients)
        for client in clients:
            client.close()  # no keep-alive connection holds the workers' shutdown up
    finally:
        stop_server(server)
