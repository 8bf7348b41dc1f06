"""Centralized root access and Organizations access reports for a standalone account."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer, error_of
from tests.e2e.iam.test_account import other_account
from tests.e2e.iam.test_account_settings import user_client

ROOT_ACCESS_OPERATIONS = [
    "list_organizations_features",
    "enable_organizations_root_credentials_management",
    "disable_organizations_root_credentials_management",
    "enable_organizations_root_sessions",
    "disable_organizations_root_sessions",
]
ENTITY_PATH = "o-a1b2c3d4e5/r-f6g7h8i9j0example"


@pytest.mark.parametrize("name", ROOT_ACCESS_OPERATIONS)
def test_no_organization(iam: Any, name: str) -> None:
    code, status, message = error_of(getattr(iam, name))
    assert (code, status) == ("OrganizationNotFoundException", 400)
    assert message == "The request was rejected because no organization is associated with your account."


def test_modelled_exception_class(iam: Any) -> None:
    with pytest.raises(iam.exceptions.OrganizationNotFoundException):
        iam.list_organizations_features()


def test_root_access_needs_permission(server: RunningServer, iam: Any) -> None:
    denied = user_client(server, iam, "nobody", [])
    code, status, _ = error_of(denied.enable_organizations_root_sessions)
    assert (code, status) == ("AccessDenied", 403)
    allowed = user_client(server, iam, "org-admin", ["iam:ListOrganizationsFeatures"])
    code, _, _ = error_of(allowed.list_organizations_features)
    assert code == "OrganizationNotFoundException"


# -- Organizations access reports -----------------------------------------------------


def test_report_fails_for_want_of_an_organization(iam: Any) -> None:
    job_id = iam.generate_organizations_access_report(EntityPath=ENTITY_PATH)["JobId"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", job_id)
    report = iam.get_organizations_access_report(JobId=job_id)
    assert report["JobStatus"] == "FAILED"
    assert report["ErrorDetails"] == {
        "Code": "AWSOrganizationsNotInUseException",
        "Message": "Your account is not a member of an organization.",
    }
    assert report["JobCompletionDate"] >= report["JobCreationDate"]
    assert "AccessDetails" not in report


def test_report_for_a_policy_and_with_paging(iam: Any) -> None:
    job_id = iam.generate_organizations_access_report(
        EntityPath=ENTITY_PATH + "/ou-ab12-cdef3456", OrganizationsPolicyId="p-FullAWSAccess"
    )["JobId"]
    report = iam.get_organizations_access_report(
        JobId=job_id, MaxItems=10, SortKey="LAST_AUTHENTICATED_TIME_DESCENDING"
    )
    assert report["JobStatus"] == "FAILED"


def test_each_report_has_its_own_job(iam: Any) -> None:
    first = iam.generate_organizations_access_report(EntityPath=ENTITY_PATH)["JobId"]
    second = iam.generate_organizations_access_report(EntityPath=ENTITY_PATH)["JobId"]
    assert first != second
    assert iam.get_organizations_access_report(JobId=first)["JobStatus"] == "FAILED"


def test_unknown_job(iam: Any) -> None:
    job_id = "00000000-1111-4222-8333-444444444444"
    code, status, message = error_of(iam.get_organizations_access_report, JobId=job_id)
    assert (code, status) == ("NoSuchEntity", 404)
    assert message == f"The job with ID {job_id} cannot be found."


def test_job_of_another_account(server: RunningServer, iam: Any) -> None:
    job_id = iam.generate_organizations_access_report(EntityPath=ENTITY_PATH)["JobId"]
    code, status, _ = error_of(other_account(server).get_organizations_access_report, JobId=job_id)
    assert (code, status) == ("NoSuchEntity", 404)


def test_service_last_accessed_job_is_not_an_organizations_job(iam: Any) -> None:
    job_id = iam.generate_organizations_access_report(EntityPath=ENTITY_PATH)["JobId"]
    code, _, _ = error_of(iam.get_service_last_accessed_details, JobId=job_id)
    assert code == "NoSuchEntity"


@pytest.mark.parametrize(
    "params",
    [
        {"EntityPath": "not-an-organization-path"},
        {"EntityPath": ENTITY_PATH, "OrganizationsPolicyId": "policy"},
    ],
)
def test_invalid_report_input(iam: Any, params: dict[str, str]) -> None:
    code, status, _ = error_of(iam.generate_organizations_access_report, **params)
    assert (code, status) == ("ValidationError", 400)


def test_aws_cli(server: RunningServer) -> None:
    aws = [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "--output", "json", "iam"]
    env = server.cli_env()
    failed = subprocess.run(
        [*aws, "list-organizations-features"], env=env, check=False, capture_output=True, text=True, timeout=60
    )
    assert failed.returncode != 0
    assert "OrganizationNotFoundException" in failed.stderr
    out = subprocess.run(
        [*aws, "generate-organizations-access-report", "--entity-path", ENTITY_PATH],
        env=env, check=True, capture_output=True, text=True, timeout=60,
    )
    assert len(json.loads(out.stdout)["JobId"]) == 36
