"""The basic contract of the name-keyed repositories, on SQLite and PostgreSQL alike:
add, get by id, get by name without regard to case, list in name order, delete, and
``DuplicateKey`` when a name is taken in the same account whatever its case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from iamd.store import Database, DuplicateKey, UnitOfWork, UserRecord
from iamd.store.groups import GroupRecord
from iamd.store.roles import RoleRecord

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCOUNT = "111122223333"
OTHER = "444455556666"
TRUST = '{"Version":"2012-10-17","Statement":[]}'


def _user(entity_id: str, account: str, name: str) -> UserRecord:
    return UserRecord(id=entity_id, account_id=account, name=name, path="/", created_at=NOW)


def _group(entity_id: str, account: str, name: str) -> GroupRecord:
    return GroupRecord(id=entity_id, account_id=account, name=name, path="/", created_at=NOW)


def _role(entity_id: str, account: str, name: str) -> RoleRecord:
    return RoleRecord(id=entity_id, account_id=account, name=name, path="/", trust_policy=TRUST,
                      max_session_duration=3600, created_at=NOW)


KINDS: dict[str, tuple[Callable[[UnitOfWork], Any], Callable[[str, str, str], Any]]] = {
    "users": (lambda unit: unit.users, _user),
    "groups": (lambda unit: unit.groups, _group),
    "roles": (lambda unit: unit.roles, _role),
}


@pytest.fixture
def accounts(db: Database) -> Database:
    with db.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, NOW)
        unit.accounts.add(OTHER, None, NOW)
    return db


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_add_get_list_delete(accounts: Database, kind: str) -> None:
    repository, record = KINDS[kind]
    with accounts.transaction() as unit:
        repository(unit).add(record("ID2", ACCOUNT, "bravo"))
        repository(unit).add(record("ID1", ACCOUNT, "Alpha"))
        repository(unit).add(record("ID3", OTHER, "charlie"))
    with accounts.reading() as unit:
        found = repository(unit).get("ID1")
        assert found is not None and found.name == "Alpha" and found.account_id == ACCOUNT
        assert found.created_at == NOW
        assert repository(unit).get("nope") is None
        assert [r.name for r in repository(unit).list(ACCOUNT)] == ["Alpha", "bravo"]
        assert [r.name for r in repository(unit).list(OTHER)] == ["charlie"]
        assert repository(unit).count(ACCOUNT) == 2
    with accounts.transaction() as unit:
        repository(unit).delete("ID1")
    with accounts.reading() as unit:
        assert repository(unit).get("ID1") is None
        assert [r.name for r in repository(unit).list(ACCOUNT)] == ["bravo"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_name_lookup_ignores_case_within_one_account(accounts: Database, kind: str) -> None:
    repository, record = KINDS[kind]
    with accounts.transaction() as unit:
        repository(unit).add(record("ID1", ACCOUNT, "Alpha"))
    with accounts.reading() as unit:
        found = repository(unit).get_by_name(ACCOUNT, "ALPHA")
        assert found is not None and found.id == "ID1" and found.name == "Alpha"
        assert repository(unit).get_by_name(OTHER, "Alpha") is None


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_name_taken_in_any_case_is_a_duplicate(accounts: Database, kind: str) -> None:
    repository, record = KINDS[kind]
    with accounts.transaction() as unit:
        repository(unit).add(record("ID1", ACCOUNT, "Alpha"))
        repository(unit).add(record("ID2", OTHER, "alpha"))  # another account: fine
    with pytest.raises(DuplicateKey), accounts.transaction() as unit:
        repository(unit).add(record("ID3", ACCOUNT, "ALPHA"))
    with accounts.reading() as unit:
        assert repository(unit).get("ID3") is None


def test_a_users_dependents_say_what_blocks_its_deletion_and_whether_it_has_tags(db: Database) -> None:
    with db.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, NOW)
        unit.users.add(_user("AIDA1", ACCOUNT, "ann"))
        unit.users.add(_user("AIDA2", ACCOUNT, "bob"))
        unit.tags.put(ACCOUNT, "user", "AIDA2", [("team", "core")])
        unit.tags.put(ACCOUNT, "role", "AIDA1", [("other", "kind")])  # another kind's tags, same id
        unit.inline_policies.put(ACCOUNT, "user", "AIDA2", "p", TRUST)
    with db.reading() as unit:
        assert unit.users.with_dependents(ACCOUNT, "ghost") is None
        for name, user_id, dependents in (("ANN", "AIDA1", ([], False)), ("bob", "AIDA2", (["inline-policies"], True))):
            found = unit.users.with_dependents(ACCOUNT, name)
            assert found is not None and found[0].id == user_id and found[1] == dependents


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_changes_by_entity_name_stay_in_the_account_and_ignore_case(accounts: Database, kind: str) -> None:
    """Detaching a policy and deleting an inline policy find the entity by name within
    the change itself: in that account only, the name in any case."""
    make = {"user": _user, "group": _group, "role": _role}[kind]
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    with accounts.transaction() as unit:
        for entity_id, account in (("E1", ACCOUNT), ("E2", OTHER)):
            getattr(unit, kind + "s").add(make(entity_id, account, "Builder"))
            unit.attachments.attach(account, kind, entity_id, arn, NOW)
            unit.inline_policies.put(account, kind, entity_id, "inline", "{}")
    with accounts.transaction() as unit:
        assert not unit.attachments.detach(ACCOUNT, kind, "ghost", arn)
        assert not unit.inline_policies.delete(ACCOUNT, kind, "ghost", "inline")
        assert not unit.inline_policies.delete(ACCOUNT, kind, "builder", "other")
        assert unit.attachments.detach(ACCOUNT, kind, "BUILDER", arn)
        assert unit.inline_policies.delete(ACCOUNT, kind, "builder", "inline")
        assert not unit.attachments.detach(ACCOUNT, kind, "Builder", arn)
    with accounts.reading() as unit:
        assert unit.attachments.policies_of(kind, "E1") == []
        assert unit.attachments.policies_of(kind, "E2") == [arn]
        assert unit.inline_policies.list(kind, "E1") == []
        assert [name for name, _ in unit.inline_policies.list(kind, "E2")] == ["inline"]


def test_changes_by_name_leave_service_linked_roles_alone(accounts: Database) -> None:
    """Only AWS changes a service-linked role: a detach or an inline policy's deletion by
    the role's name matches nothing."""
    arn = "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"
    role = RoleRecord(id="AROASL", account_id=ACCOUNT, name="AWSServiceRoleForAutoScaling",
                      path="/aws-service-role/autoscaling.amazonaws.com/", trust_policy=TRUST,
                      max_session_duration=3600, created_at=NOW, service_linked_service="autoscaling.amazonaws.com")
    with accounts.transaction() as unit:
        unit.roles.add(role)
        unit.attachments.attach(ACCOUNT, "role", role.id, arn, NOW)
        unit.inline_policies.put(ACCOUNT, "role", role.id, "inline", "{}")
    with accounts.transaction() as unit:
        assert not unit.attachments.detach(ACCOUNT, "role", role.name, arn)
        assert not unit.inline_policies.delete(ACCOUNT, "role", role.name, "inline")
    with accounts.reading() as unit:
        assert unit.attachments.policies_of("role", role.id) == [arn]


def test_deleting_a_named_users_key_stays_with_that_user(accounts: Database) -> None:
    from iamd.store import AccessKeyRecord

    with accounts.transaction() as unit:
        unit.users.add(_user("U1", ACCOUNT, "Alice"))
        unit.users.add(_user("U2", ACCOUNT, "Bob"))
        unit.users.add(_user("U3", OTHER, "Alice"))
        unit.access_keys.add(AccessKeyRecord("AKIAALICE", ACCOUNT, "U1", b"\x00sealed", "Active", NOW))
        unit.access_keys.add(AccessKeyRecord("AKIAROOT", ACCOUNT, None, b"\x00sealed", "Active", NOW))
    with accounts.transaction() as unit:
        assert not unit.access_keys.delete_owned("AKIAALICE", ACCOUNT, "bob")
        assert not unit.access_keys.delete_owned("AKIAALICE", OTHER, "alice")
        assert not unit.access_keys.delete_owned("AKIAALICE", ACCOUNT, None)
        assert not unit.access_keys.delete_owned("AKIAROOT", ACCOUNT, "alice")
        assert unit.access_keys.delete_owned("AKIAALICE", ACCOUNT, "ALICE")
        assert unit.access_keys.delete_owned("AKIAROOT", ACCOUNT, None)
    with accounts.reading() as unit:
        assert unit.access_keys.get("AKIAALICE") is None and unit.access_keys.get("AKIAROOT") is None


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_an_entity_comes_with_its_inline_policies_in_one_look_up(accounts: Database, kind: str) -> None:
    make = {"user": _user, "group": _group, "role": _role}[kind]
    with accounts.transaction() as unit:
        getattr(unit, kind + "s").add(make("E1", ACCOUNT, "Plain"))
        getattr(unit, kind + "s").add(make("E2", ACCOUNT, "Busy"))
        getattr(unit, kind + "s").add(make("E3", OTHER, "Busy"))
        unit.inline_policies.put(ACCOUNT, kind, "E2", "b", '{"b": 1}')
        unit.inline_policies.put(ACCOUNT, kind, "E2", "a", '{"a": 1}')
        unit.inline_policies.put(OTHER, kind, "E3", "theirs", "{}")
    with accounts.reading() as unit:
        assert unit.inline_policies.entity_with_policies(ACCOUNT, kind, "ghost") is None
        plain = unit.inline_policies.entity_with_policies(ACCOUNT, kind, "PLAIN")
        assert plain is not None and (plain[0].id, plain[0].name, plain[1]) == ("E1", "Plain", [])
        busy = unit.inline_policies.entity_with_policies(ACCOUNT, kind, "busy")
        assert busy is not None and busy[0].id == "E2" and busy[1] == [("a", '{"a": 1}'), ("b", '{"b": 1}')]


def test_an_insert_within_a_quota_counts_in_the_same_statement(accounts: Database) -> None:
    """``add(..., limit=)``: the row goes in only while the count is below the limit; a
    taken name under the limit is still a duplicate; each account counts its own."""
    from iamd.store import QuotaReached

    with accounts.transaction() as unit:
        unit.users.add(_user("U1", ACCOUNT, "one"), limit=2)
        unit.users.add(_user("U2", ACCOUNT, "two"), limit=2)
        unit.users.add(_user("U9", OTHER, "other"), limit=1)
    with accounts.transaction() as unit, pytest.raises(DuplicateKey):
        unit.users.add(_user("U3", ACCOUNT, "ONE"), limit=3)
    with accounts.transaction() as unit, pytest.raises(QuotaReached):
        unit.users.add(_user("U3", ACCOUNT, "three"), limit=2)
    with accounts.reading() as unit:
        assert [u.name for u in unit.users.list(ACCOUNT)] == ["one", "two"]


def test_access_keys_of_a_user_and_of_the_root_user_count_apart(accounts: Database) -> None:
    from iamd.store import AccessKeyRecord, QuotaReached

    def key(key_id: str, owner: str | None) -> AccessKeyRecord:
        return AccessKeyRecord(key_id, ACCOUNT, owner, b"\x00sealed", "Active", NOW)

    with accounts.transaction() as unit:
        unit.users.add(_user("U1", ACCOUNT, "alice"))
        unit.users.add(_user("U2", ACCOUNT, "bob"))
        unit.access_keys.add(key("AKIAROOT1", None), limit=1)
        unit.access_keys.add(key("AKIAALICE1", "U1"), limit=1)
        unit.access_keys.add(key("AKIABOB1", "U2"), limit=1)
    for owner in (None, "U1", "U2"):
        with accounts.transaction() as unit, pytest.raises(QuotaReached):
            unit.access_keys.add(key("AKIAMORE", owner), limit=1)
    with accounts.transaction() as unit:
        unit.access_keys.add(key("AKIAROOT2", None), limit=2)
        unit.access_keys.add(key("AKIAALICE2", "U1"), limit=2)
    with accounts.reading() as unit:
        assert len(unit.access_keys.list_for(ACCOUNT, None)) == 2
        assert len(unit.access_keys.list_for(ACCOUNT, "U1")) == 2
        assert len(unit.access_keys.list_for(ACCOUNT, "U2")) == 1


def test_attachments_within_a_quota_count_per_entity(accounts: Database) -> None:
    from iamd.store import QuotaReached

    with accounts.transaction() as unit:
        unit.users.add(_user("U1", ACCOUNT, "alice"))
        unit.roles.add(_role("U1", ACCOUNT, "same-id"))  # another kind, the same id
        assert unit.attachments.attach(ACCOUNT, "user", "U1", "arn:aws:iam::aws:policy/A", NOW, limit=1)
        assert unit.attachments.attach(ACCOUNT, "role", "U1", "arn:aws:iam::aws:policy/A", NOW, limit=1)
    with accounts.transaction() as unit:
        with pytest.raises(QuotaReached):
            unit.attachments.attach(ACCOUNT, "user", "U1", "arn:aws:iam::aws:policy/B", NOW, limit=1)
        assert not unit.attachments.attach(ACCOUNT, "user", "U1", "arn:aws:iam::aws:policy/A", NOW, limit=2)
        assert unit.attachments.attach(ACCOUNT, "user", "U1", "arn:aws:iam::aws:policy/B", NOW, limit=2)
