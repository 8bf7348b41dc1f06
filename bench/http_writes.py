#!/usr/bin/env python3
"""The write cycle a test suite runs per fixture, over HTTP: iamd beside moto_server.

Run on purpose (not part of the test suite):

    python3 dev.py install && .venv/bin/pip install -c requirements.lock --no-build-isolation -e '.[test,bench]'
    .venv/bin/python bench/http_writes.py [--duration 10] [--rounds 3] [--workers] [--no-postgres]

Each connection repeats, one request at a time (a closed loop), the cycle

    CreateUser, CreateAccessKey, AttachUserPolicy (an AWS managed policy), PutUserPolicy,
    DeleteUserPolicy, DetachUserPolicy, DeleteAccessKey, DeleteUser

with a user name of its own, every request signed with SigV4 by botocore as the root
user. Connections are keep-alive HTTP/1.1, one client thread each; the client runs in
this process, the same for every server. A row reports requests per second (every
request of the cycle counts as one), the p50 and p99 latency of single requests, and the
ratio to moto_server at the same number of connections; with ``--rounds N`` every server
runs N times in turn and a row reports medians, its ratio taken within each round. Any answer other than 200 stops
the run with the answer's body.

Servers: moto_server; iamd with a data directory (SQLite, durable: WAL and
``synchronous=FULL``); iamd ``--ephemeral``; iamd on PostgreSQL (``--postgres URL``); and
with ``--workers``, iamd with two worker processes on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import botocore.auth
import botocore.awsrequest
import botocore.credentials

sys.path.insert(0, str(Path(__file__).parent))
from http_sts import KEY, SECRET, free_port, reset_postgres, start_moto, wait_until_up

CREDENTIALS = botocore.credentials.Credentials(KEY, SECRET)
MANAGED = "arn:aws:iam::aws:policy/ReadOnlyAccess"
INLINE = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
          '"Resource":"arn:aws:s3:::bench-bucket/*"}]}')
ACCESS_KEY_ID = re.compile(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>")


class Connection:
    """One keep-alive connection that signs and sends IAM Query requests."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.http = http.client.HTTPConnection(urllib.parse.urlsplit(endpoint).netloc, timeout=60)
        self.latencies: list[float] = []

    def call(self, action: str, **params: str) -> bytes:
        body = urllib.parse.urlencode({"Action": action, "Version": "2010-05-08", **params})
        request = botocore.awsrequest.AWSRequest(
            method="POST", url=self.endpoint + "/", data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        botocore.auth.SigV4Auth(CREDENTIALS, "iam", "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
        started = time.perf_counter()
        self.http.request("POST", "/", body=body, headers=headers)
        response = self.http.getresponse()
        data = response.read()
        self.latencies.append(time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"{action} answered {response.status}: {data[:400]!r}")
        return data

    def cycle(self, user: str) -> None:
        self.call("CreateUser", UserName=user)
        match = ACCESS_KEY_ID.search(self.call("CreateAccessKey", UserName=user))
        assert match, "CreateAccessKey answered no AccessKeyId"
        key_id = match.group(1).decode()
        self.call("AttachUserPolicy", UserName=user, PolicyArn=MANAGED)
        self.call("PutUserPolicy", UserName=user, PolicyName="inline", PolicyDocument=INLINE)
        self.call("DeleteUserPolicy", UserName=user, PolicyName="inline")
        self.call("DetachUserPolicy", UserName=user, PolicyArn=MANAGED)
        self.call("DeleteAccessKey", UserName=user, AccessKeyId=key_id)
        self.call("DeleteUser", UserName=user)


def run(endpoint: str, connections: int, duration: float, label: str) -> dict[str, float]:
    """Every connection repeats the cycle until ``duration`` has passed."""
    workers = [Connection(endpoint) for _ in range(connections)]
    errors: list[BaseException] = []
    deadline = time.perf_counter() + duration

    def loop(index: int, conn: Connection) -> None:
        n = 0
        try:
            while time.perf_counter() < deadline:
                conn.cycle(f"bench-{label}-{index}-{n}")
                n += 1
        except BaseException as exc:  # noqa: BLE001 - reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(i, w)) for i, w in enumerate(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{endpoint}: {errors[0]}")
    latencies = sorted(x for w in workers for x in w.latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def start_iamd(*, ephemeral: bool = False, database_url: str | None = None,
               workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, IAMD_ROOT_ACCESS_KEY_ID=KEY, IAMD_ROOT_SECRET_ACCESS_KEY=SECRET,
               IAMD_LOG_LEVEL="warning")
    args = [sys.executable, "-m", "iamd.cli", "serve", "--port", str(port)]
    data_dir = None
    if ephemeral:
        args.append("--ephemeral")
    else:
        data_dir = tempfile.mkdtemp(prefix="iamd-bench-")
        args += ["--data-dir", data_dir]
    if database_url:
        args += ["--database-url", database_url]
    if workers > 1:
        args += ["--workers", str(workers)]
    log = open(Path(tempfile.gettempdir()) / f"iamd-bench-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(args, env=env, stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    wait_until_up(endpoint + "/_iamd/health")
    process.data_dir = data_dir  # type: ignore[attr-defined]
    return process, endpoint


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--postgres", default=os.environ.get(
        "IAMD_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/iamd_bench"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--workers", action="store_true", help="also rows with --workers 2")
    parser.add_argument("--only", help="run only servers whose name contains this")
    parser.add_argument("--rounds", type=int, default=1, help=(
        "run every server this many times, in turn, and report medians: the ratio to moto is "
        "taken within each round, so a machine whose speed drifts skews no row"))
    args = parser.parse_args()
    # moto loads AWS's managed policies only when asked; the cycle attaches one.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

    servers: list[tuple[str, Callable[[], tuple[subprocess.Popen[bytes], str]]]] = [
        ("moto_server", start_moto),
        ("iamd, SQLite data dir", lambda: start_iamd()),
        ("iamd --ephemeral", lambda: start_iamd(ephemeral=True)),
    ]
    if not args.no_postgres:
        servers.append(("iamd, PostgreSQL", lambda: (reset_postgres(args.postgres),
                                                     start_iamd(database_url=args.postgres))[1]))
    if args.workers:
        servers.append(("iamd, SQLite data dir, 2 workers", lambda: start_iamd(workers=2)))
        if not args.no_postgres:
            servers.append(("iamd, PostgreSQL, 2 workers", lambda: (
                reset_postgres(args.postgres), start_iamd(database_url=args.postgres, workers=2))[1]))
    if args.only:
        servers = [s for s in servers if args.only in s[0] or s[0] == "moto_server"]

    # (name, connections) -> one result per round
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    for round_number in range(args.rounds):
        for name, start in servers:
            process, endpoint = start()
            try:
                run(endpoint, 2, 1.0, f"warm{round_number}")
                for connections in args.connections:
                    result = run(endpoint, connections, args.duration, f"r{round_number}c{connections}")
                    results.setdefault((name, connections), []).append(result)
            finally:
                process.terminate()
                process.wait(timeout=30)
                data_dir = getattr(process, "data_dir", None)
                if data_dir:
                    shutil.rmtree(data_dir, ignore_errors=True)
    load = os.getloadavg()[0]
    rounds = f", {args.rounds} rounds (medians; the ratio is the median of each round's ratio)" if args.rounds > 1 else ""
    print(f"Write cycle, {args.duration:g} s per row{rounds}, load average {load:.1f} at the end")
    print()
    print("| server | connections | requests/s | p50 ms | p99 ms | vs moto |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for (name, connections), runs in results.items():
        moto = results[("moto_server", connections)]
        ratios = [r["rps"] / m["rps"] for r, m in zip(runs, moto, strict=True)]
        ratio = statistics.median(ratios)
        spread = f" ({min(ratios):.2f}-{max(ratios):.2f})" if args.rounds > 1 else ""
        print(f"| {name} | {connections} | {statistics.median(r['rps'] for r in runs):.0f} "
              f"| {statistics.median(r['p50_ms'] for r in runs):.2f} "
              f"| {statistics.median(r['p99_ms'] for r in runs):.2f} | {ratio:.2f}x{spread} |")

if __name__ == "__main__":
    main()
