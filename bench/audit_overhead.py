#!/usr/bin/env python3
"""What the audit log costs: signed requests per second with IAMD_AUDIT=on vs off.

Run on purpose (not part of the test suite), with wrk installed:

    .venv/bin/python bench/audit_overhead.py [--duration 10] [--postgres URL | --no-postgres]

For each backend and each setting it starts an ephemeral iamd, then replays with wrk (the
harness of bench/http_sts.py) a signed STS GetCallerIdentity (a read, run on the event
loop) and a signed IAM UpdateAccessKey setting a key Active (a write, run in a worker
thread: one UPDATE in a transaction that bumps the state version), at 1 and 32 keep-alive connections. With audit on,
every request also becomes a CloudTrail record and updates last-used data through the
batching writer. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_sts import KEY, SECRET, free_port, wait_until_up

WORKLOADS = {
    "GetCallerIdentity": ("sts", "Action=GetCallerIdentity&Version=2011-06-15"),
    # {key} is the bench user's access key id, known once the server is up.
    "UpdateAccessKey": ("iam", "Action=UpdateAccessKey&Version=2010-05-08&UserName=bench&AccessKeyId={key}&Status=Active"),
}


def start(database_url: str | None, audit: bool) -> tuple[subprocess.Popen[bytes], str, str]:
    port = free_port()
    env = dict(os.environ, IAMD_ROOT_ACCESS_KEY_ID=KEY, IAMD_ROOT_SECRET_ACCESS_KEY=SECRET,
               IAMD_LOG_LEVEL="warning", IAMD_AUDIT="on" if audit else "off")
    args = [sys.executable, "-m", "iamd.cli", "serve", "--ephemeral", "--port", str(port)]
    if database_url:
        args += ["--database-url", database_url]
    log = open(Path(tempfile.gettempdir()) / f"iamd-audit-bench-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(args, env=env, stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    wait_until_up(endpoint + "/_iamd/health")
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    iam.create_user(UserName="bench")
    key_id = iam.create_access_key(UserName="bench")["AccessKey"]["AccessKeyId"]
    return process, endpoint, key_id


def wrk(endpoint: str, service: str, body: str, connections: int, duration: int) -> dict[str, float]:
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=endpoint + "/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY, SECRET), service, "us-east-1").add_auth(request)
    lua = ["wrk.method = 'POST'", f"wrk.body = '{body}'"]
    lua += [f"wrk.headers['{k}'] = '{v}'" for k, v in request.headers.items()]
    lua += [
        "done = function(summary, latency, requests)",
        "  io.write(string.format('RESULT %d %d %d %d %d\\n', summary.requests, summary.duration,",
        "    latency:percentile(50), latency:percentile(99), summary.errors.status))",
        "end",
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lua))
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", script.name,
         endpoint + "/"],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(script.name)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    assert match, out
    requests, micros, p50, p99, errors = (int(g) for g in match.groups())
    if errors:
        raise RuntimeError(f"{errors} non-2xx answers from {endpoint}\n{out}")
    return {"rps": requests / (micros / 1e6), "p50_ms": p50 / 1000, "p99_ms": p99 / 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--postgres", default=os.environ.get("IAMD_BENCH_POSTGRES",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--connections", default="1,32")
    args = parser.parse_args()
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if not args.no_postgres:
        backends.append(("PostgreSQL", args.postgres))
    connections = [int(c) for c in args.connections.split(",")]
    results: dict[tuple[str, str, int, bool], dict[str, float]] = {}
    for backend, url in backends:
        for audit in (False, True):
            process, endpoint, key_id = start(url, audit)
            try:
                for name, (service, template) in WORKLOADS.items():
                    body = template.format(key=key_id)
                    wrk(endpoint, service, body, 8, 2)  # warm-up
                    for count in connections:
                        results[(backend, name, count, audit)] = wrk(endpoint, service, body, count, args.duration)
            finally:
                process.terminate()
                process.wait(timeout=30)
    print("| backend | request | connections | audit off req/s | audit on req/s | change | p99 off ms | p99 on ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for backend, _ in backends:
        for name in WORKLOADS:
            for count in connections:
                off, on = results[(backend, name, count, False)], results[(backend, name, count, True)]
                change = (on["rps"] / off["rps"] - 1) * 100
                print(f"| {backend} | {name} | {count} | {off['rps']:.0f} | {on['rps']:.0f} | {change:+.1f}% "
                      f"| {off['p99_ms']:.2f} | {on['p99_ms']:.2f} |")


if __name__ == "__main__":
    main()
