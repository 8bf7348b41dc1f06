"""docs/operations.md lists every IAM and STS operation with its status, generated from the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from iamd.protocol import load_service
from iamd.server import coverage
from iamd.server.operations import implemented

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_document_is_up_to_date() -> None:
    expected = coverage.document()
    current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    assert current == expected, (
        "docs/operations.md is stale: the implemented operations changed. "
        f"Regenerate it with `{coverage.REGENERATE}` and commit the result."
    )


def test_every_operation_is_listed_once_with_its_status() -> None:
    text = coverage.document()
    rows = {
        line.split("|")[1].strip(): line.split("|")[3].strip()
        for line in text.splitlines()
        if line.startswith("| ")
        and not line.startswith("| Operation")
        and not line.startswith("| ---")
    }
    for service in ("iam", "sts"):
        done = implemented(service)
        for name in load_service(service).operation_names:
            assert rows[name] == ("implemented" if name in done else "not yet"), name
    assert len(rows) == len(load_service("iam").operation_names) + len(
        load_service("sts").operation_names
    )


def test_every_operation_has_an_area() -> None:
    for service in ("iam", "sts"):
        for name in load_service(service).operation_names:
            assert coverage.area_of(service, name) != "other", f"{service}:{name} has no area"


def test_areas() -> None:
    assert coverage.area_of("iam", "UploadServerCertificate") == "server certificates"
    assert coverage.area_of("iam", "ListInstanceProfilesForRole") == "instance profiles"
    assert coverage.area_of("iam", "PutRolePermissionsBoundary") == "permissions boundaries"
    assert coverage.area_of("iam", "PutRolePolicy") == "inline policies"
    assert coverage.area_of("iam", "ListAttachedRolePolicies") == "policy attachments"
    assert coverage.area_of("iam", "ListPolicyVersions") == "managed policies"
    assert coverage.area_of("iam", "CreateLoginProfile") == "login profiles (console passwords)"
    assert coverage.area_of("iam", "GenerateServiceLastAccessedDetails") == "access advisor"
    assert coverage.area_of("iam", "SimulatePrincipalPolicy") == "policy simulator"
    assert coverage.area_of("iam", "GetAccountSummary") == "account"
    assert coverage.area_of("sts", "AssumeRoleWithSAML") == "federation"
    assert coverage.area_of("sts", "GetCallerIdentity") == "caller and key information"


def test_cli_prints_the_document() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "iamd.cli", "operations"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout == coverage.document()
