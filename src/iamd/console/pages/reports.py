"""The credential report: generated on demand and downloaded as AWS's CSV."""

from __future__ import annotations

import time

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page


def report_page(page: Page) -> Response:
    return page.render("credential_report.html")


def download(page: Page) -> Response:
    page.iam("GenerateCredentialReport")
    for _ in range(20):
        try:
            report = page.iam("GetCredentialReport")
            break
        except OperationError as exc:
            if exc.code != "ReportInProgress":
                raise
            time.sleep(0.1)
    else:
        raise OperationError("ReportInProgress", "The credential report is still being generated.", 409)
    content = report["Content"]
    body = content if isinstance(content, bytes) else str(content).encode()
    return Response(200, body, "text/csv; charset=utf-8",
                    [("content-disposition", 'attachment; filename="credential-report.csv"')])


ROUTES: list[Route] = [
    route("GET", "/credential-report", report_page),
    route("GET", "/credential-report.csv", download),
]
