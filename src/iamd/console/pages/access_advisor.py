"""The access advisor tab of users, groups, roles and policies: which services the
entity's permissions allow, and when it (or, for a group or policy, an entity using it)
last used each, from GenerateServiceLastAccessedDetails and
GetServiceLastAccessedDetails, as AWS's console shows them."""

from __future__ import annotations

from typing import Any

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page

_BACK = {"user": "/console/users/", "group": "/console/groups/", "role": "/console/roles/"}


def show(page: Page) -> Response:
    arn = page.request.arg("arn").strip()
    if not arn:
        raise OperationError("ValidationError", "Name the entity's ARN: /console/access-advisor?arn=...", 400)
    job = page.iam("GenerateServiceLastAccessedDetails", Arn=arn)["JobId"]
    services: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        fields = {"JobId": job, "MaxItems": "1000"}
        if marker:
            fields["Marker"] = marker
        details = page.iam("GetServiceLastAccessedDetails", fields)
        services.extend(details.get("ServicesLastAccessed") or [])
        marker = details.get("Marker") if details.get("IsTruncated") else None
        if not marker or len(services) >= 5000:
            break
    services.sort(key=lambda s: (s.get("LastAuthenticated") is None, s.get("ServiceName", "")))
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    back = f"/console/policies/view?arn={arn}" if kind == "policy" else _BACK.get(kind, "/console") + rest.rsplit("/", 1)[-1]
    return page.render("access_advisor.html", arn=arn, services=services, back=back,
                       used=sum(1 for s in services if s.get("LastAuthenticated")))


ROUTES: list[Route] = [route("GET", "/access-advisor", show)]
