"""Instance profiles with real clients: the profile, its one role, its tags."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of, start_server, stop_server
from tests.e2e.iam.test_roles import TRUST, TRUST_TEXT, second_account


def role(iam: Any, name: str = "app") -> dict[str, Any]:
    made: dict[str, Any] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_TEXT)["Role"]
    return made


def missing(name: str) -> tuple[str, int, str]:
    return ("NoSuchEntity", 404, f"Instance Profile {name} cannot be found.")


@pytest.fixture(scope="module")
def small_server() -> Iterator[RunningServer]:
    """A server whose account may hold two instance profiles (SQLite only)."""
    server = start_server(["--ephemeral"], {"IAMD_QUOTA_INSTANCE_PROFILES_PER_ACCOUNT": "2"})
    yield server
    stop_server(server)


# -- CreateInstanceProfile / GetInstanceProfile ------------------------------------------------

def test_create_instance_profile(iam: Any) -> None:
    profile = iam.create_instance_profile(
        InstanceProfileName="web", Path="/tier/", Tags=[{"Key": "env", "Value": "prod"}]
    )["InstanceProfile"]
    assert profile["InstanceProfileName"] == "web" and profile["Path"] == "/tier/"
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", profile["InstanceProfileId"])
    assert profile["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/tier/web"
    assert profile["Roles"] == [] and profile["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert profile["CreateDate"].tzinfo is not None


def test_create_instance_profile_name_taken(iam: Any) -> None:
    iam.create_instance_profile(InstanceProfileName="web")
    assert error_of(iam.create_instance_profile, InstanceProfileName="WEB") == (
        "EntityAlreadyExists", 409, "Instance Profile WEB already exists."
    )


def test_create_instance_profile_bad_tags(iam: Any) -> None:
    code, status, _ = error_of(
        iam.create_instance_profile, InstanceProfileName="web", Tags=[{"Key": "aws:x", "Value": ""}]
    )
    assert (code, status) == ("InvalidInput", 400)
    assert error_of(iam.get_instance_profile, InstanceProfileName="web") == missing("web")


def test_create_instance_profile_quota(small_server: RunningServer) -> None:
    small_server.reset()
    iam = small_server.client("iam")
    iam.create_instance_profile(InstanceProfileName="one")
    iam.create_instance_profile(InstanceProfileName="two")
    assert error_of(iam.create_instance_profile, InstanceProfileName="three") == (
        "LimitExceeded", 409, "Cannot exceed quota for InstanceProfilesPerAccount: 2"
    )
    iam.delete_instance_profile(InstanceProfileName="one")
    iam.create_instance_profile(InstanceProfileName="three")


def test_get_instance_profile(iam: Any) -> None:
    made = role(iam)
    iam.create_instance_profile(InstanceProfileName="web", Tags=[{"Key": "k", "Value": "v"}])
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="app")
    profile = iam.get_instance_profile(InstanceProfileName="WEB")["InstanceProfile"]
    assert profile["InstanceProfileName"] == "web" and profile["Tags"] == [{"Key": "k", "Value": "v"}]
    [held] = profile["Roles"]
    assert {k: held[k] for k in ("RoleName", "RoleId", "Arn", "Path", "CreateDate")} == {
        k: made[k] for k in ("RoleName", "RoleId", "Arn", "Path", "CreateDate")
    }
    assert held["AssumeRolePolicyDocument"] == TRUST


def test_get_instance_profile_missing(iam: Any) -> None:
    assert error_of(iam.get_instance_profile, InstanceProfileName="nope") == missing("nope")


def test_instance_profile_arn_follows_partition(server: RunningServer) -> None:
    gov = server.account_in("aws-us-gov", "us-gov-west-1")
    gov.client("iam").create_instance_profile(InstanceProfileName="web")
    profile = gov.client("iam").get_instance_profile(InstanceProfileName="web")
    assert profile["InstanceProfile"]["Arn"] == f"arn:aws-us-gov:iam::{gov.account_id}:instance-profile/web"


# -- ListInstanceProfiles / ListInstanceProfilesForRole ----------------------------------------------

def test_list_instance_profiles(iam: Any) -> None:
    role(iam)
    iam.create_instance_profile(InstanceProfileName="b", Path="/x/", Tags=[{"Key": "k", "Value": "v"}])
    iam.create_instance_profile(InstanceProfileName="A")
    iam.create_instance_profile(InstanceProfileName="c", Path="/x/y/")
    iam.add_role_to_instance_profile(InstanceProfileName="b", RoleName="app")
    profiles = iam.list_instance_profiles()["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in profiles] == ["A", "b", "c"]
    assert [r["RoleName"] for r in profiles[1]["Roles"]] == ["app"] and profiles[0]["Roles"] == []
    assert "Tags" not in profiles[1]  # as AWS: listing leaves tags out
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles(PathPrefix="/x/")["InstanceProfiles"]] == [
        "b", "c"
    ]


def test_list_instance_profiles_pagination(iam: Any) -> None:
    for name in ["p1", "p2", "p3"]:
        iam.create_instance_profile(InstanceProfileName=name)
    first = iam.list_instance_profiles(MaxItems=2)
    assert [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == ["p1", "p2"]
    assert first["IsTruncated"] is True
    rest = iam.list_instance_profiles(MaxItems=2, Marker=first["Marker"])
    assert [p["InstanceProfileName"] for p in rest["InstanceProfiles"]] == ["p3"] and rest["IsTruncated"] is False


def test_list_instance_profiles_for_role(iam: Any) -> None:
    role(iam)
    role(iam, "other")
    for name in ["p3", "p1", "p2", "unrelated"]:
        iam.create_instance_profile(InstanceProfileName=name)
    for name in ["p3", "p1", "p2"]:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName="app")
    iam.add_role_to_instance_profile(InstanceProfileName="unrelated", RoleName="other")
    found = iam.list_instance_profiles_for_role(RoleName="APP")
    assert [p["InstanceProfileName"] for p in found["InstanceProfiles"]] == ["p1", "p2", "p3"]
    first = iam.list_instance_profiles_for_role(RoleName="app", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["InstanceProfiles"]) == 2
    rest = iam.list_instance_profiles_for_role(RoleName="app", MaxItems=2, Marker=first["Marker"])
    assert [p["InstanceProfileName"] for p in rest["InstanceProfiles"]] == ["p3"]
    assert error_of(iam.list_instance_profiles_for_role, RoleName="nope") == (
        "NoSuchEntity", 404, "The role with name nope cannot be found."
    )


# -- roles in profiles --------------------------------------------------------------------------------

def test_add_and_remove_role(iam: Any) -> None:
    role(iam)
    iam.create_instance_profile(InstanceProfileName="web")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="APP")
    assert [r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Roles"]] == [
        "app"
    ]
    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="app")
    assert iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Roles"] == []


def test_add_role_errors(iam: Any) -> None:
    role(iam)
    role(iam, "second")
    iam.create_instance_profile(InstanceProfileName="web")
    assert error_of(iam.add_role_to_instance_profile, InstanceProfileName="nope", RoleName="app") == missing("nope")
    assert error_of(iam.add_role_to_instance_profile, InstanceProfileName="web", RoleName="nope") == (
        "NoSuchEntity", 404, "The role with name nope cannot be found."
    )
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="app")
    full = ("LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    assert error_of(iam.add_role_to_instance_profile, InstanceProfileName="web", RoleName="second") == full
    assert error_of(iam.add_role_to_instance_profile, InstanceProfileName="web", RoleName="app") == full


def test_remove_role_errors(iam: Any) -> None:
    role(iam)
    iam.create_instance_profile(InstanceProfileName="web")
    assert error_of(iam.remove_role_from_instance_profile, InstanceProfileName="nope", RoleName="app") == missing(
        "nope"
    )
    not_found = ("NoSuchEntity", 404, "The role with name app cannot be found.")
    assert error_of(iam.remove_role_from_instance_profile, InstanceProfileName="web", RoleName="nothere") == (
        "NoSuchEntity", 404, "The role with name nothere cannot be found."
    )
    # A role that exists but is not in the profile.
    assert error_of(iam.remove_role_from_instance_profile, InstanceProfileName="web", RoleName="app") == not_found


# -- DeleteInstanceProfile ------------------------------------------------------------------------------

def test_delete_instance_profile(iam: Any) -> None:
    role(iam)
    iam.create_instance_profile(InstanceProfileName="web", Tags=[{"Key": "k", "Value": "v"}])
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="app")
    assert error_of(iam.delete_instance_profile, InstanceProfileName="web") == (
        "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first."
    )
    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="app")
    iam.delete_instance_profile(InstanceProfileName="WEB")
    assert error_of(iam.get_instance_profile, InstanceProfileName="web") == missing("web")
    assert error_of(iam.delete_instance_profile, InstanceProfileName="web") == missing("web")
    iam.create_instance_profile(InstanceProfileName="web")
    assert iam.list_instance_profile_tags(InstanceProfileName="web")["Tags"] == []


# -- tags -------------------------------------------------------------------------------------------------

def test_instance_profile_tags(iam: Any) -> None:
    iam.create_instance_profile(InstanceProfileName="web", Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_instance_profile(InstanceProfileName="web", Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "3"}])
    assert iam.list_instance_profile_tags(InstanceProfileName="web")["Tags"] == [
        {"Key": "A", "Value": "3"}, {"Key": "b", "Value": "2"}
    ]
    iam.untag_instance_profile(InstanceProfileName="web", TagKeys=["A"])
    assert iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Tags"] == [{"Key": "b", "Value": "2"}]
    first = iam.list_instance_profile_tags(InstanceProfileName="web", MaxItems=1)
    assert first["IsTruncated"] is False and len(first["Tags"]) == 1


def test_instance_profile_tag_errors(iam: Any) -> None:
    assert error_of(iam.tag_instance_profile, InstanceProfileName="nope", Tags=[{"Key": "a", "Value": ""}]) == missing(
        "nope"
    )
    assert error_of(iam.untag_instance_profile, InstanceProfileName="nope", TagKeys=["a"]) == missing("nope")
    assert error_of(iam.list_instance_profile_tags, InstanceProfileName="nope") == missing("nope")
    iam.create_instance_profile(InstanceProfileName="web", Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    assert error_of(iam.tag_instance_profile, InstanceProfileName="web", Tags=[{"Key": "x", "Value": ""}])[:2] == (
        "LimitExceeded", 409
    )
    assert error_of(iam.tag_instance_profile, InstanceProfileName="web", Tags=[{"Key": "aws:x", "Value": ""}])[:2] == (
        "InvalidInput", 400
    )


def test_instance_profiles_are_per_account(server: RunningServer, iam: Any) -> None:
    iam.create_instance_profile(InstanceProfileName="web")
    other = second_account(server)
    assert other.list_instance_profiles()["InstanceProfiles"] == []
    assert error_of(other.get_instance_profile, InstanceProfileName="web") == missing("web")
    other.create_instance_profile(InstanceProfileName="web")
    # Another account's role cannot go into this account's profile.
    role(other, "theirs")
    assert error_of(iam.add_role_to_instance_profile, InstanceProfileName="web", RoleName="theirs")[0] == "NoSuchEntity"


def test_aws_cli(server: RunningServer, iam: Any) -> None:
    role(iam)
    env = server.cli_env()
    subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "create-instance-profile", "--instance-profile-name", "cli"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "add-role-to-instance-profile",
         "--instance-profile-name", "cli", "--role-name", "app"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    profile = iam.get_instance_profile(InstanceProfileName="cli")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["app"]
    assert json.loads(json.dumps(profile["Roles"][0]["AssumeRolePolicyDocument"])) == TRUST
