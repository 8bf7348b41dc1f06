"""Managed policy resolution, the AWS catalogue and ``effective_documents``, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iamd.services.policy_sources import (
    aws_policy_id,
    catalogue,
    effective_documents,
    parse_policy_arn,
    resolve_policy,
)
from iamd.store import Database, UserRecord, schema
from iamd.store.policies import ManagedPolicyRecord

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCOUNT = "111122223333"
OTHER = "444455556666"
SOURCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "aws-managed-policies.json"
DOC = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'


@pytest.fixture
def db(db: Database) -> Database:
    """The shared empty store, with this module's accounts."""
    with db.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, NOW)
        unit.accounts.add(OTHER, None, NOW)
    return db


def _policy(policy_id: str, name: str, path: str = "/", account: str = ACCOUNT) -> ManagedPolicyRecord:
    return ManagedPolicyRecord(id=policy_id, account_id=account, name=name, path=path, default_version_id="v1",
                               created_at=NOW, updated_at=NOW)


def test_parse_policy_arn() -> None:
    parsed = parse_policy_arn("arn:aws-us-gov:iam::aws:policy/job-function/ViewOnlyAccess")
    assert parsed is not None and (parsed.account, parsed.path, parsed.name) == ("aws", "/job-function/", "ViewOnlyAccess")
    assert parse_policy_arn("arn:aws:iam::123456789012:role/x") is None
    assert parse_policy_arn("arn:aws:iam::123456789012:policy/") is None
    assert parse_policy_arn("nonsense") is None


def test_catalogue_holds_every_published_policy() -> None:
    policies = catalogue()
    assert len(policies) == 1582
    admin = policies["AdministratorAccess"]
    assert admin.arn == "arn:aws:iam::aws:policy/AdministratorAccess"
    assert json.loads(admin.document) == {"Version": "2012-10-17",
                                          "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    # Documents read the way AWS writes them: Version first, Effect before Action.
    assert admin.document.index('"Version"') < admin.document.index('"Statement"')
    assert policies["ViewOnlyAccess"].path == "/job-function/"
    if SOURCE.exists():
        source = json.loads(SOURCE.read_text())
        assert set(source) == set(policies)
        for name, entry in source.items():
            ours = policies[name]
            assert (ours.path, ours.default_version_id) == (entry["Path"], entry["DefaultVersionId"])
            assert json.loads(ours.document) == entry["Document"]


def test_aws_policy_ids_are_stable_and_distinct() -> None:
    assert aws_policy_id("AdministratorAccess") == aws_policy_id("AdministratorAccess")
    assert aws_policy_id("AdministratorAccess").startswith("ANPA") and len(aws_policy_id("x")) == 21
    assert len({aws_policy_id(name) for name in catalogue()}) == len(catalogue())


def test_resolve_policy(db: Database) -> None:
    with db.transaction() as unit:
        unit.policies.add(_policy("ANPA1", "Mine", "/team/"), DOC)
        unit.policies.add(_policy("ANPA2", "Theirs", account=OTHER), DOC)
    with db.reading() as unit:
        ref = resolve_policy(unit, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:policy/team/MINE")
        assert ref is not None and not ref.aws_managed
        # The account is in the aws partition: an ARN of another partition names nothing.
        assert resolve_policy(unit, ACCOUNT, f"arn:aws-cn:iam::{ACCOUNT}:policy/team/Mine") is None
        assert (ref.arn, ref.policy_id, ref.default_version_id) == (f"arn:aws:iam::{ACCOUNT}:policy/team/Mine", "ANPA1", "v1")
        assert resolve_policy(unit, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:policy/Mine") is None  # wrong path
        assert resolve_policy(unit, ACCOUNT, f"arn:aws:iam::{OTHER}:policy/Theirs") is None  # another account's
        assert resolve_policy(unit, OTHER, "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess") is None
        aws = resolve_policy(unit, OTHER, "arn:aws:iam::aws:policy/ReadOnlyAccess")
        assert aws is not None and aws.aws_managed and aws.arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
        assert resolve_policy(unit, ACCOUNT, "arn:aws:iam::aws:policy/NoSuchThing") is None
        assert resolve_policy(unit, ACCOUNT, "garbage") is None


def test_effective_documents(db: Database) -> None:
    newer = DOC.replace("s3:*", "sqs:*")
    with db.transaction() as unit:
        unit.users.add(UserRecord(id="AIDA1", account_id=ACCOUNT, name="alice", path="/", created_at=NOW))
        unit.connection.execute(schema.groups.insert().values(
            id="AGPA1", account_id=ACCOUNT, name="devs", name_lower="devs", path="/", created_at=NOW))
        unit.policies.add(_policy("ANPA1", "Mine"), DOC)
        unit.policies.add_version("ANPA1", newer, NOW, set_as_default=True)
        unit.inline_policies.put(ACCOUNT, "user", "AIDA1", "inline", DOC)
        unit.attachments.attach(ACCOUNT, "user", "AIDA1", f"arn:aws:iam::{ACCOUNT}:policy/Mine", NOW)
        unit.attachments.attach(ACCOUNT, "user", "AIDA1", "arn:aws:iam::aws:policy/AdministratorAccess", NOW)
        unit.attachments.attach(ACCOUNT, "group", "AGPA1", "arn:aws:iam::aws:policy/ReadOnlyAccess", NOW)
    with db.reading() as unit:
        documents = effective_documents(unit, ACCOUNT, "user", "AIDA1")
        assert [name for name, _ in documents] == [
            "inline", f"arn:aws:iam::{ACCOUNT}:policy/Mine", "arn:aws:iam::aws:policy/AdministratorAccess"]
        assert documents[0][1] == DOC
        assert documents[1][1] == newer  # the default version, not v1
        assert json.loads(documents[2][1])["Statement"][0]["Action"] == "*"
        group = effective_documents(unit, ACCOUNT, "group", "AGPA1")
        assert [name for name, _ in group] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
        assert effective_documents(unit, ACCOUNT, "role", "AROA-none") == []


def test_usage_counts(db: Database) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/Mine"
    with db.transaction() as unit:
        unit.users.add(UserRecord(id="AIDA1", account_id=ACCOUNT, name="alice", path="/", created_at=NOW,
                                  permissions_boundary_arn=arn))
        unit.users.add(UserRecord(id="AIDA2", account_id=OTHER, name="bob", path="/", created_at=NOW,
                                  permissions_boundary_arn=arn))
        unit.attachments.attach(ACCOUNT, "user", "AIDA1", arn, NOW)
        assert unit.attachments.attach(ACCOUNT, "user", "AIDA1", arn, NOW) is False
    with db.reading() as unit:
        assert unit.attachments.attachment_count(ACCOUNT, arn) == 1
        assert unit.attachments.attachment_counts(ACCOUNT) == {arn: 1}
        assert unit.attachments.boundary_count(ACCOUNT, arn) == 1
        assert unit.attachments.boundary_counts(ACCOUNT) == {arn: 1}
        assert [e.name for e in unit.attachments.bounded_entities(ACCOUNT, arn)] == ["alice"]
        assert [e.name for e in unit.attachments.attached_entities(ACCOUNT, arn)] == ["alice"]
