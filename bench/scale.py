#!/usr/bin/env python3
"""Do decisions and list pages slow down as an account grows? 10 users against 5,000.

Run on purpose (not part of the test suite):

    .venv/bin/python bench/scale.py [--requests 400] [--postgres URL]

Two iamd servers (``--ephemeral``, or PostgreSQL databases with ``--postgres``), one per
account size. In each, an IAM user ``caller`` with three managed policies and an inline policy (wildcards, a
condition, a Deny) makes the measured requests, signed with SigV4 by botocore over one
keep-alive connection:

* decision: ``GetUser`` of another user, which loads the caller's policies from the cache,
  resolves the named user and evaluates the request;
* ``ListUsers`` first page (10 users) and a page from the middle of the account (by the
  marker of the page before it); with 10 users both are the one page.

One account holds 10 users; the other is grown to 5,000 users, 1,000 roles and 1,500
customer managed policies (created through the API). The two are measured in turns
(``--batches``), so that a drift in the machine's speed weighs on both alike. The report
gives p50 and p99 of each, and the ratio of the large account's p50 to the small one's.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from http_writes import Connection, reset_postgres, start_iamd

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
CALLER_POLICIES = [
    {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]},
    {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iam:Delete*", "Resource": "arn:aws:iam::*:user/admins/*"}]},
    {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::team-*/*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]},
]
INLINE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "iam:CreateAccessKey", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}
PAGE = 10  # the page size, so both accounts answer pages of the same length
KEY_ID = re.compile(rb"<AccessKeyId>([A-Z0-9]+)</AccessKeyId>")
SECRET = re.compile(rb"<SecretAccessKey>([^<]+)</SecretAccessKey>")
MARKER = re.compile(rb"<Marker>([^<]+)</Marker>")


class CallerConnection(Connection):
    """A connection that signs as the IAM user ``caller`` instead of the root user."""

    def __init__(self, endpoint: str, key_id: str, secret: str) -> None:
        super().__init__(endpoint)
        import botocore.credentials

        self.credentials = botocore.credentials.Credentials(key_id, secret)

    def call(self, action: str, **params: str) -> bytes:
        import http_writes

        saved = http_writes.CREDENTIALS
        http_writes.CREDENTIALS = self.credentials
        try:
            return super().call(action, **params)
        finally:
            http_writes.CREDENTIALS = saved


def set_up_caller(root: Connection) -> tuple[str, str]:
    root.call("CreateUser", UserName="caller")
    root.call("TagUser", UserName="caller", **{"Tags.member.1.Key": "team", "Tags.member.1.Value": "blue"})
    for n, document in enumerate(CALLER_POLICIES):
        root.call("CreatePolicy", PolicyName=f"caller-{n}", PolicyDocument=json.dumps(document))
        arn = f"arn:aws:iam::{account_id(root)}:policy/caller-{n}"
        root.call("AttachUserPolicy", UserName="caller", PolicyArn=arn)
    root.call("PutUserPolicy", UserName="caller", PolicyName="inline", PolicyDocument=json.dumps(INLINE))
    body = root.call("CreateAccessKey", UserName="caller")
    key, secret = KEY_ID.search(body), SECRET.search(body)
    assert key and secret
    return key.group(1).decode(), secret.group(1).decode()


_ACCOUNT: dict[str, str] = {}


def account_id(root: Connection) -> str:
    if root.endpoint not in _ACCOUNT:
        body = root.call("GetUser")
        match = re.search(rb"arn:aws:iam::(\d{12}):root", body)
        assert match, body[:300]
        _ACCOUNT[root.endpoint] = match.group(1).decode()
    return _ACCOUNT[root.endpoint]


def grow(root: Connection, users: int, roles: int, policies: int) -> None:
    for n in range(users):
        root.call("CreateUser", UserName=f"member-{n:05d}", Path="/staff/")
    for n in range(roles):
        root.call("CreateRole", RoleName=f"role-{n:05d}", AssumeRolePolicyDocument=TRUST)
    for n in range(policies):
        document = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{n}/*"}]}
        root.call("CreatePolicy", PolicyName=f"policy-{n:05d}", PolicyDocument=json.dumps(document))


def middle_marker(caller: CallerConnection) -> str | None:
    """The marker that starts the middle page of ListUsers, None if there is one page."""
    markers: list[str] = []
    marker = None
    while True:
        body = caller.call("ListUsers", MaxItems=str(PAGE), **({"Marker": marker} if marker else {}))
        found = MARKER.search(body)
        if not found:
            break
        marker = html.unescape(found.group(1).decode())
        markers.append(marker)
    return markers[len(markers) // 2] if markers else None


def measure(caller: CallerConnection, requests: int, marker: str | None) -> dict[str, list[float]]:
    """``requests`` of each kind; ``marker`` starts the middle page (``middle_marker``)."""
    out: dict[str, list[float]] = {"decision": [], "ListUsers first page": [], "ListUsers middle page": []}
    middle = {"MaxItems": str(PAGE), **({"Marker": marker} if marker else {})}
    for _ in range(requests):
        for label, action, params in (
            ("decision", "GetUser", {"UserName": "member-00003"}),
            ("ListUsers first page", "ListUsers", {"MaxItems": str(PAGE)}),
            ("ListUsers middle page", "ListUsers", middle),
        ):
            started = time.perf_counter()
            caller.call(action, **params)
            out[label].append((time.perf_counter() - started) * 1000)
    return out


def analyze(url: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text("ANALYZE"))
    engine.dispose()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def start(url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    if url is None:
        return start_iamd(ephemeral=True)
    reset_postgres(url)
    return start_iamd(database_url=url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--batches", type=int, default=10, help="turns taken by the two servers")
    parser.add_argument("--postgres", help=(
        "a PostgreSQL URL naming a database of its own (dropped and created); the small "
        "account's server uses the same name with _small appended"))
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--roles", type=int, default=1000)
    parser.add_argument("--policies", type=int, default=1500)
    args = parser.parse_args()
    # Two servers, one per account size, measured in turns: this machine's speed drifts
    # from one minute to the next, and measuring one size after the other would measure
    # the drift with it.
    servers = [start(f"{args.postgres}_small" if args.postgres else None), start(args.postgres)]
    try:
        accounts: list[tuple[str, str, str]] = []  # endpoint, the caller's key id and secret
        callers: list[tuple[CallerConnection, str | None]] = []
        grown_in = 0.0
        for size, (_process, endpoint) in zip(("small", "large"), servers, strict=True):
            root = Connection(endpoint)
            key, secret = set_up_caller(root)
            grow(root, 9, 0, 0)  # 10 users with the caller
            if size == "large":
                started = time.perf_counter()
                grow(root, 0, args.roles, args.policies - len(CALLER_POLICIES))  # the caller holds 3
                for n in range(9, args.users - 1):
                    root.call("CreateUser", UserName=f"member-{n:05d}", Path="/staff/")
                grown_in = time.perf_counter() - started
                time.sleep(5)  # let the audit writer finish recording the growth
                if args.postgres:
                    # Planner statistics as autovacuum's analyze leaves them a minute later:
                    # right after a bulk load they still describe the empty tables.
                    analyze(args.postgres)
            accounts.append((endpoint, key, secret))
        # New connections: the servers close keep-alive connections idle as long as a build.
        for endpoint, key, secret in accounts:
            caller = CallerConnection(endpoint, key, secret)
            callers.append((caller, middle_marker(caller)))
        small: dict[str, list[float]] = {}
        large: dict[str, list[float]] = {}
        for caller, marker in callers:
            measure(caller, 20, marker)  # warm-up
        for _ in range(args.batches):
            for results, (caller, marker) in zip((small, large), callers, strict=True):
                for label, values in measure(caller, max(1, args.requests // args.batches), marker).items():
                    results.setdefault(label, []).extend(values)
    finally:
        for process, _endpoint in servers:
            process.terminate()
            process.wait(timeout=30)
    backend = "PostgreSQL" if args.postgres else "SQLite (--ephemeral)"
    print(f"Scale, {backend}: {args.requests} requests of each kind per size; the large account "
          f"({args.users:,} users, {args.roles:,} roles, {args.policies:,} policies) was built in {grown_in:.0f} s")
    print()
    print("| request | 10 users p50 ms | p99 ms | large p50 ms | p99 ms | large / small (p50) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, values in small.items():
        s50, s99 = statistics.median(values), pct(values, 0.99)
        l50, l99 = statistics.median(large[label]), pct(large[label], 0.99)
        print(f"| {label} | {s50:.2f} | {s99:.2f} | {l50:.2f} | {l99:.2f} | {l50 / s50:.2f}x |")


if __name__ == "__main__":
    main()
