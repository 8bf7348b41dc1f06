"""Assigning a virtual MFA device to a user: its QR code (and seed) shown once, then two
consecutive codes to enable it, as EnableMFADevice wants. The seed is rendered in the
answer and kept nowhere else."""

from __future__ import annotations

import base64

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page


def start(page: Page) -> Response:
    name = page.request.params["name"]
    suffix = page.backend.runtime.random_bytes(3).hex()
    device = page.iam("CreateVirtualMFADevice", VirtualMFADeviceName=f"{name}-{suffix}")["VirtualMFADevice"]
    return page.render(
        "mfa_assign.html", user_name=name, serial=device["SerialNumber"],
        seed=bytes(device["Base32StringSeed"]).decode("ascii"),
        qr=base64.b64encode(bytes(device["QRCodePNG"])).decode("ascii"),
    )


def enable(page: Page) -> Response:
    name = page.request.params["name"]
    serial = page.request.field("serial")
    try:
        page.iam("EnableMFADevice", UserName=name, SerialNumber=serial,
                 AuthenticationCode1=page.request.field("code1").strip(),
                 AuthenticationCode2=page.request.field("code2").strip())
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        # The seed is gone with the page that showed it: drop the device, start again.
        page.try_iam("DeleteVirtualMFADevice", SerialNumber=serial)
        page.flash(f"The MFA device was not enabled ({exc.code}: {exc.message}) Assign a new one.")
        return Response.redirect(f"/console/users/{name}")
    page.flash("MFA device enabled.")
    return Response.redirect(f"/console/users/{name}")


def remove(page: Page) -> Response:
    name = page.request.params["name"]
    serial = page.request.field("serial")
    page.iam("DeactivateMFADevice", UserName=name, SerialNumber=serial)
    page.try_iam("DeleteVirtualMFADevice", SerialNumber=serial)
    page.flash("MFA device removed.")
    return Response.redirect(f"/console/users/{name}")


ROUTES: list[Route] = [
    route("POST", "/users/{name}/mfa", start),
    route("POST", "/users/{name}/mfa/enable", enable),
    route("POST", "/users/{name}/mfa/remove", remove),
]
