"""The service objects: loading, operation lookup, routing by action."""

from __future__ import annotations

import pytest

from iamd.protocol import API_VERSIONS, find_service_for_action, load_service


def test_services_are_loaded_once() -> None:
    assert load_service("iam") is load_service("iam")


def test_service_identity() -> None:
    iam, sts = load_service("iam"), load_service("sts")
    assert (iam.name, iam.api_version, iam.xml_namespace) == (
        "iam", "2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/"
    )
    assert (sts.name, sts.api_version, sts.xml_namespace) == (
        "sts", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/"
    )
    assert dict(API_VERSIONS) == {"iam": "2010-05-08", "sts": "2011-06-15"}


def test_unknown_service() -> None:
    with pytest.raises(LookupError):
        load_service("s3")


def test_operations() -> None:
    iam = load_service("iam")
    assert iam.has_operation("CreateUser")
    assert not iam.has_operation("AssumeRole")
    assert not iam.has_operation("createUser")
    assert "CreateUser" in iam.operation_names
    iam.operation_names.clear()  # a copy: the service's own list is not exposed
    assert iam.has_operation("CreateUser") and iam.operation_names


def test_iam_and_sts_operation_names_do_not_overlap() -> None:
    assert not set(load_service("iam").operation_names) & set(load_service("sts").operation_names)


@pytest.mark.parametrize(("action", "service"), [
    ("CreateUser", "iam"), ("GetCallerIdentity", "sts"), ("AssumeRole", "sts"),
    ("ListRoles", "iam"), ("DescribeInstances", None), ("", None),
])
def test_find_service_for_action(action: str, service: str | None) -> None:
    found = find_service_for_action(action)
    assert (found.name if found else None) == service


def test_prepare_compiles_every_operation() -> None:
    for name in API_VERSIONS:
        load_service(name).prepare()
