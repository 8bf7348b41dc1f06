from __future__ import annotations

import inspect

import iamd.policy as api


def test_curated_surface() -> None:
    for name in ("parse", "evaluate", "Request", "Decision", "MalformedPolicyDocument", "Policy",
                 "parse_arn", "condition_keys", "PolicySet"):
        assert name in api.__all__
    assert set(api.__all__) <= set(dir(api))


def test_evaluate_signature() -> None:
    params = list(inspect.signature(api.evaluate).parameters)
    assert params[:8] == ["request", "identity_policies", "resource_policy",
                          "permissions_boundary", "session_policies",
                          "service_control_policies", "resource_control_policies",
                          "endpoint_policies"]


def test_stdlib_only() -> None:
    import ast
    import pathlib
    import sys

    root = pathlib.Path(api.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "__future__", (path, name)
