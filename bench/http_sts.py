#!/usr/bin/env python3
"""Signed STS GetCallerIdentity over HTTP: iamd beside moto_server, same load client.

Run on purpose (not part of the test suite):

    python3 dev.py install && .venv/bin/pip install -e '.[bench]'
    apt-get install wrk            # the load client
    .venv/bin/python bench/http_sts.py [--duration 10] [--postgres URL]

For each server it starts the server on a free loopback port, signs one GetCallerIdentity
request with botocore (SigV4, the server's root key), and replays it with wrk at 1 and 32
concurrent keep-alive connections. A SigV4 signature stays valid for 15 minutes, so the
replayed request is verified in full on every hit by iamd. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import botocore.auth
import botocore.awsrequest
import botocore.credentials

BODY = "Action=GetCallerIdentity&Version=2011-06-15"
KEY, SECRET = "AKIAIAMDBENCH0000001", "benchSecretKey00000000000000000000000001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError as exc:
            if getattr(exc, "code", None):
                return  # any HTTP answer means it is listening
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def signed_headers(endpoint: str) -> dict[str, str]:
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=endpoint + "/", data=BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY, SECRET), "sts", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def wrk(endpoint: str, connections: int, duration: int) -> dict[str, float]:
    headers = signed_headers(endpoint)
    lua = ["wrk.method = 'POST'", f"wrk.body = '{BODY}'"]
    lua += [f"wrk.headers['{k}'] = '{v}'" for k, v in headers.items()]
    lua += [
        "done = function(summary, latency, requests)",
        "  io.write(string.format('RESULT %d %d %d %d %d\\n', summary.requests, summary.duration,",
        "    latency:percentile(50), latency:percentile(99), summary.errors.status))",
        "end",
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lua))
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", script.name, endpoint + "/"],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(script.name)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    assert match, out
    requests, micros, p50, p99, errors = (int(g) for g in match.groups())
    if errors:
        sample = urllib.request.Request(endpoint + "/", data=BODY.encode(), headers=headers, method="POST")
        try:
            detail = urllib.request.urlopen(sample, timeout=5).read()[:300]
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300]
        raise RuntimeError(f"{errors} non-2xx answers from {endpoint}: {detail!r}\n{out}")
    return {"rps": requests / (micros / 1e6), "p50_ms": p50 / 1000, "p99_ms": p99 / 1000}


def start_iamd(database_url: str | None, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = dict(os.environ, IAMD_ROOT_ACCESS_KEY_ID=KEY, IAMD_ROOT_SECRET_ACCESS_KEY=SECRET,
               IAMD_LOG_LEVEL="warning")
    args = [sys.executable, "-m", "iamd.cli", "serve", "--port", str(port)]
    if workers > 1:
        # Workers share a store: a data directory of the run's own (or the database).
        if not database_url:
            args += ["--data-dir", tempfile.mkdtemp(prefix="iamd-bench-")]
        args += ["--workers", str(workers)]
    else:
        args.append("--ephemeral")
    if database_url:
        args += ["--database-url", database_url]
    log = open(Path(tempfile.gettempdir()) / f"iamd-bench-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(args, env=env, stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    wait_until_up(endpoint + "/_iamd/health")
    return process, endpoint


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    process = subprocess.Popen([server, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    wait_until_up(endpoint + "/moto-api/")
    return process, endpoint


def reset_postgres(url: str) -> None:
    """Drop and create the benchmark's own database (never the tests' ``test``), so every
    PostgreSQL row starts from an empty one."""
    import sqlalchemy

    target = sqlalchemy.engine.make_url(url)
    name = target.database
    if not name or not name.replace("_", "").isalnum() or name in ("test", "postgres"):
        raise SystemExit(f"--postgres must name a database of the benchmark's own, not {name!r}")
    engine = sqlalchemy.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--postgres", default=os.environ.get("IAMD_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--bench-database", default="postgresql+psycopg://postgres@127.0.0.1:5432/iamd_bench",
                        help="the database of its own that the 2-worker PostgreSQL row drops and creates")
    parser.add_argument("--workers", action="store_true", help="also rows with --workers 2")
    args = parser.parse_args()
    servers = [("moto_server", start_moto), ("iamd (SQLite)", lambda: start_iamd(None))]
    if not args.no_postgres:
        servers.append(("iamd (PostgreSQL)", lambda: start_iamd(args.postgres)))
    if args.workers:
        servers.append(("iamd (SQLite data dir, 2 workers)", lambda: start_iamd(None, workers=2)))
        if not args.no_postgres:
            servers.append(("iamd (PostgreSQL, 2 workers)", lambda: (
                reset_postgres(args.bench_database), start_iamd(args.bench_database, workers=2))[1]))
    rows = []
    for name, start in servers:
        process, endpoint = start()
        try:
            wrk(endpoint, 8, 2)  # warm-up
            for connections in (1, 32):
                result = wrk(endpoint, connections, args.duration)
                rows.append((name, connections, result))
        finally:
            process.terminate()
            process.wait(timeout=20)
    moto = {c: r["rps"] for n, c, r in rows if n == "moto_server"}
    print("| server | connections | requests/s | p50 ms | p99 ms | vs moto |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, connections, result in rows:
        ratio = result["rps"] / moto[connections]
        print(f"| {name} | {connections} | {result['rps']:.0f} | {result['p50_ms']:.2f} | {result['p99_ms']:.2f} | {ratio:.1f}x |")


if __name__ == "__main__":
    main()
