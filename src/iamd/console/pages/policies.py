"""Managed policies, AWS's and the account's: list, filter, view, create and edit with the
API's validation errors (and, for a document that is not JSON, the line it breaks at)."""

from __future__ import annotations

from typing import Any

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page
from iamd.console.pages.common import list_page, pretty, syntax_error
from iamd.console.summary import summarize

SCOPES = ("All", "Local", "AWS")
STARTER = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "iam:Get*",
      "Resource": "*"
    }
  ]
}"""


def index(page: Page) -> Response:
    """A page of the scope's policies; the name filter reads on through the list (see
    ``common``)."""
    scope = page.request.arg("scope", "Local")
    scope = scope if scope in SCOPES else "Local"
    listing = list_page(page, "ListPolicies", "Policies", "PolicyName", extra={"scope": scope}, Scope=scope)
    return page.render(
        "policies.html", listing=listing,
        can_create=page.can("CreatePolicy", PolicyName="example-policy", PolicyDocument=STARTER),
    )


def new(page: Page) -> Response:
    return page.render("policy_edit.html", error=None, syntax=None, values={"document": STARTER}, arn=None)


def create(page: Page) -> Response:
    name = page.request.field("policy_name").strip()
    document = page.request.field("document")
    description = page.request.field("description")
    fields = {"PolicyName": name, "PolicyDocument": document}
    if description:
        fields["Description"] = description
    try:
        created = page.iam("CreatePolicy", fields)["Policy"]
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        return page.render("policy_edit.html", status=exc.status, error=exc, syntax=syntax_error(document), arn=None,
                           values={"policy_name": name, "document": document, "description": description})
    page.flash(f"Policy {name} created.")
    return Response.redirect(f"/console/policies/view?arn={created['Arn']}")


def view(page: Page) -> Response:
    arn = page.request.arg("arn")
    policy = page.iam("GetPolicy", PolicyArn=arn)["Policy"]
    version = page.iam("GetPolicyVersion", PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    entities = page.try_iam("ListEntitiesForPolicy", PolicyArn=arn)
    local = not arn.startswith("arn:aws:iam::aws:")
    caps = {
        "edit": local and page.can("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=STARTER),
        "delete": local and page.can("DeletePolicy", PolicyArn=arn),
    }
    document = pretty(version.get("Document") or "")
    return page.render(
        "policy.html", policy=policy, document=document, caps=caps, summary=summarize(document),
        entities=None if isinstance(entities, OperationError) else entities, error=None, syntax=None,
    )


def new_version(page: Page) -> Response:
    arn = page.request.field("arn")
    document = page.request.field("document")
    try:
        page.iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=document, SetAsDefault="true")
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        policy: dict[str, Any] = page.iam("GetPolicy", PolicyArn=arn)["Policy"]
        return page.render("policy.html", status=exc.status, policy=policy, document=document, error=exc,
                           syntax=syntax_error(document), caps={"edit": True, "delete": False}, entities=None,
                           summary=[])
    page.flash("Policy saved as a new default version.")
    return Response.redirect(f"/console/policies/view?arn={arn}")


def delete(page: Page) -> Response:
    arn = page.request.field("arn")
    if not page.can("DeletePolicy", PolicyArn=arn):
        page.iam("DeletePolicy", PolicyArn=arn)  # refused: AccessDenied, as the API says it
    for version in page.iam("ListPolicyVersions", PolicyArn=arn).get("Versions") or []:
        if not version.get("IsDefaultVersion"):
            page.iam("DeletePolicyVersion", PolicyArn=arn, VersionId=version["VersionId"])
    page.iam("DeletePolicy", PolicyArn=arn)
    page.flash("Policy deleted.")
    return Response.redirect("/console/policies")


ROUTES: list[Route] = [
    route("GET", "/policies", index),
    route("GET", "/policies/new", new),
    route("POST", "/policies", create),
    route("GET", "/policies/view", view),
    route("POST", "/policies/version", new_version),
    route("POST", "/policies/delete", delete),
]
