"""AWS policy evaluation conformance vectors, run from the shared data folder.

The vectors live outside the repository (they are derived from AGPL test data and must
not be copied in): ``../shared/conformance/policy-vectors/*.jsonl`` relative to the repo
root, or the folder named by ``IAMD_POLICY_VECTORS``. The test skips when absent, saying
where it looked, and fails instead where ``IAMD_REQUIRE_SHARED=1`` (CI).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from iamd.policy import Request, evaluate
from tests.conftest import fail_missing_shared, missing_shared

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS = Path(
    os.environ.get("IAMD_POLICY_VECTORS")
    or REPO_ROOT / ".." / "shared" / "conformance" / "policy-vectors"
)

# Service cases that cannot pass, with the reason (none at present).
XFAIL: dict[str, str] = {}


def _load() -> list[Any]:
    if not VECTORS.is_dir():
        return [missing_shared(VECTORS, "the policy vectors")]
    params = []
    for path in sorted(VECTORS.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            case = json.loads(line)
            marks = []
            if case["id"] in XFAIL:
                marks.append(pytest.mark.xfail(reason=XFAIL[case["id"]], strict=True))
            params.append(pytest.param(case, id=f"{path.stem}:{case['id']}", marks=marks))
    return params


def run_case(case: dict[str, Any]) -> str:
    req = case["request"]
    session = case.get("session_policy")
    decision = evaluate(
        Request(
            action=req["action"],
            resource=req["resource"],
            principal=req["principal"],
            context=req.get("context") or {},
            resource_account=req.get("resource_account"),
        ),
        identity_policies=case.get("identity_policies") or [],
        resource_policy=case.get("resource_policy"),
        permissions_boundary=case.get("permission_boundary"),
        session_policies=[session] if session else [],
        service_control_policies=case.get("scps") or [],
        resource_control_policies=case.get("rcps") or [],
        endpoint_policies=case.get("vpc_endpoint_policies") or [],
    )
    # The trace must agree with the fast path and render.
    assert decision.trace.effect == decision.effect
    assert decision.explain()
    return decision.effect


@pytest.mark.parametrize("case", _load())
def test_vector(case: dict[str, Any]) -> None:
    fail_missing_shared(case)
    assert run_case(case) == case["expected"], case.get("note")
