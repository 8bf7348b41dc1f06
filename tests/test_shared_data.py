"""Tests that need ../shared skip with a reason where it is absent, and fail where CI
requires it (``IAMD_REQUIRE_SHARED=1``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _run_vectors(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "IAMD_REQUIRE_SHARED"}
    environment.update(IAMD_POLICY_VECTORS=str(tmp_path / "absent"), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/policy/test_conformance_vectors.py"],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("required", [False, True])
def test_absent_policy_vectors(tmp_path: Path, required: bool) -> None:
    result = _run_vectors(tmp_path, **({"IAMD_REQUIRE_SHARED": "1"} if required else {}))
    absent = str(tmp_path / "absent")
    if required:
        assert result.returncode == 1, result.stdout
        assert "1 failed" in result.stdout and absent in result.stdout
    else:
        assert result.returncode == 0, result.stdout
        assert "1 skipped" in result.stdout and absent in result.stdout
