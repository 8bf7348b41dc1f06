"""The policy simulator: a principal, actions and resources, and each decision with the
statements that decided it (SimulatePrincipalPolicy, the engine's own trace)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page
from iamd.console.pages.common import lines, list_all, members


@dataclass
class Matched:
    policy: str
    policy_type: str
    where: str
    text: str | None
    effect: str | None = None


@dataclass
class Result:
    action: str
    resource: str
    decision: str
    statements: list[Matched] = field(default_factory=list)


def simulator(page: Page) -> Response:
    principal = page.request.arg("principal").strip()
    actions = lines(page.request.arg("actions"))
    resources = lines(page.request.arg("resources"))
    principals = _principals(page)
    results: list[Result] = []
    error: OperationError | None = None
    if principal and actions:
        params = {"PolicySourceArn": principal, **members("ActionNames", actions), **members("ResourceArns", resources)}
        try:
            output = page.iam("SimulatePrincipalPolicy", params)
        except OperationError as exc:
            if exc.code == "AccessDenied":
                raise
            error = exc
        else:
            documents = _documents(page, principal)
            for item in output.get("EvaluationResults") or []:
                for specific in item.get("ResourceSpecificResults") or [item]:
                    decision = specific.get("EvalResourceDecision") or item["EvalDecision"]
                    matched = [_matched(s, documents) for s in specific.get("MatchedStatements") or []]
                    if decision == "explicitDeny":
                        # A denial is decided by its Deny statements; the Allows it overrode are noise.
                        matched = [m for m in matched if m.effect in (None, "Deny")]
                    results.append(Result(
                        action=item["EvalActionName"],
                        resource=specific.get("EvalResourceName") or item.get("EvalResourceName") or "*",
                        decision=decision, statements=matched,
                    ))
    return page.render("simulator.html", principals=principals, principal=principal, actions="\n".join(actions),
                       resources="\n".join(resources), results=results, error=error)


def _principals(page: Page) -> list[str]:
    found: list[str] = []
    for action, key in (("ListUsers", "Users"), ("ListGroups", "Groups"), ("ListRoles", "Roles")):
        try:
            found.extend(item["Arn"] for item in list_all(page, action, key))
        except OperationError:
            continue
    return found


def _documents(page: Page, arn: str) -> dict[str, str]:
    """The managed policies the simulated principal has (directly or through its groups),
    by the name the simulator gives them, to show the statements that matched."""
    kind, _, name = arn.split(":", 5)[-1].partition("/")
    name = name.rsplit("/", 1)[-1]
    attached: list[dict[str, Any]] = []
    try:
        if kind == "user":
            attached += page.iam("ListAttachedUserPolicies", UserName=name).get("AttachedPolicies") or []
            for group in page.iam("ListGroupsForUser", UserName=name).get("Groups") or []:
                attached += page.iam("ListAttachedGroupPolicies", GroupName=group["GroupName"]).get("AttachedPolicies") or []
        elif kind == "group":
            attached += page.iam("ListAttachedGroupPolicies", GroupName=name).get("AttachedPolicies") or []
        elif kind == "role":
            attached += page.iam("ListAttachedRolePolicies", RoleName=name).get("AttachedPolicies") or []
    except OperationError:
        return {}
    documents: dict[str, str] = {}
    for policy in attached:
        got = page.try_iam("GetPolicy", PolicyArn=policy["PolicyArn"])
        if isinstance(got, OperationError):
            continue
        version = page.try_iam("GetPolicyVersion", PolicyArn=policy["PolicyArn"],
                               VersionId=got["Policy"]["DefaultVersionId"])
        if not isinstance(version, OperationError):
            documents[policy["PolicyName"]] = version["PolicyVersion"].get("Document") or ""
    return documents


def _matched(statement: dict[str, Any], documents: dict[str, str]) -> Matched:
    start, end = statement.get("StartPosition") or {}, statement.get("EndPosition") or {}
    where = f"line {start.get('Line')}, column {start.get('Column')}" if start else ""
    source = statement.get("SourcePolicyId") or ""
    document = documents.get(source)
    text = statement_text(document, start, end) if document and start and end else None
    effect = None
    if text:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            effect = parsed.get("Effect")
            text = json.dumps(parsed, indent=2)
    return Matched(source, statement.get("SourcePolicyType") or "", where, text, effect)


def statement_text(document: str, start: dict[str, int], end: dict[str, int]) -> str:
    """The part of a document between two simulator positions (lines and columns from 1)."""
    rows = document.split("\n")

    def offset(line: int, column: int) -> int:
        return sum(len(row) + 1 for row in rows[: line - 1]) + column - 1

    return document[offset(start["Line"], start["Column"]) : offset(end["Line"], end["Column"])].strip().lstrip(",").strip()


ROUTES: list[Route] = [route("GET", "/simulator", simulator)]
