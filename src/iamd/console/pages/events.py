"""The audit events page: the account's audit trail through CloudTrail's LookupEvents (so
the same ``cloudtrail:LookupEvents`` permission, the same events as the API), filtered by
one lookup attribute and a time range, newest first, a page at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page

ATTRIBUTES = ("EventName", "Username", "ResourceName", "ResourceType", "EventSource", "AccessKeyId", "ReadOnly",
              "EventId")
PAGE_SIZE = 50


def _time(text: str, name: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise OperationError("ValidationError", f"The {name} time `{text}` is not a date and time.", 400) from None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).timestamp()


def index(page: Page) -> Response:
    request = page.request
    attribute, value = request.arg("attribute"), request.arg("value").strip()
    start, end, token = request.arg("start"), request.arg("end"), request.arg("token")
    body: dict[str, Any] = {"MaxResults": PAGE_SIZE}
    if value:
        if attribute not in ATTRIBUTES:
            raise OperationError("ValidationError", f"`{attribute}` is not a lookup attribute.", 400)
        body["LookupAttributes"] = [{"AttributeKey": attribute, "AttributeValue": value}]
    for field, text, name in (("StartTime", start, "start"), ("EndTime", end, "end")):
        stamp = _time(text, name)
        if stamp is not None:
            body[field] = stamp
    if token:
        body["NextToken"] = token
    found = page.cloudtrail("LookupEvents", body)
    events = []
    for event in found.get("Events") or []:
        try:
            record = json.loads(event.get("CloudTrailEvent") or "{}")
        except ValueError:
            record = {}
        events.append({
            **event, "error": record.get("errorCode"), "ip": record.get("sourceIPAddress"),
            "arn": (record.get("userIdentity") or {}).get("arn"),
        })
    filters = {"attribute": attribute, "value": value, "start": start, "end": end}
    return page.render("events.html", events=events, next_token=found.get("NextToken"), filters=filters,
                       attributes=ATTRIBUTES)


ROUTES: list[Route] = [route("GET", "/events", index)]
