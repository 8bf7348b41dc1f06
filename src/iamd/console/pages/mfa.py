"""Assigning a virtual MFA device to a user: its QR code (and seed) shown once, then two
consecutive codes to enable it, as EnableMFADevice wants. The seed is rendered in the
answer and kept nowhere else.

Registering a security key (FIDO2/WebAuthn): AWS has no API for it, only its console, which
authorizes and logs it as EnableMFADevice; so does this one. The browser runs the
ceremony (``static/webauthn.js``) against a single-use challenge and the server verifies
the answer (``services.iam.security_keys``)."""

from __future__ import annotations

import base64

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page
from iamd.protocol.errors import ServiceError
from iamd.services.iam import security_keys
from iamd.services.operations import OperationContext


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
    if ":u2f/" not in serial:  # a security key is gone with its deactivation
        page.try_iam("DeleteVirtualMFADevice", SerialNumber=serial)
    page.flash("MFA device removed.")
    return Response.redirect(f"/console/users/{name}")


def security_key_start(page: Page) -> Response:
    name = page.request.params["name"]
    device_name = page.request.field("device_name").strip()
    page.authorize("EnableMFADevice", UserName=name)
    try:
        device_name = security_keys.validate_device_name(device_name)
    except ServiceError as exc:
        page.flash(exc.message)
        return Response.redirect(f"/console/users/{name}")
    user = page.iam("GetUser", UserName=name)["User"]
    backend = page.backend
    with backend.db.transaction() as unit:
        ceremony = security_keys.begin_registration(
            unit, backend.runtime, account_id=page.caller.account_id, user_id=user["UserId"],
            user_name=user["UserName"], rp_id=page.rp_id,
        )
    return page.render("security_key_register.html", user_name=name, device_name=device_name, ceremony=ceremony)


def security_key_finish(page: Page) -> Response:
    name = page.request.params["name"]
    form = page.request
    device_name = form.field("device_name")
    try:
        device_name = security_keys.validate_device_name(device_name)
    except ServiceError as exc:
        page.flash(exc.message)
        return Response.redirect(f"/console/users/{name}")
    serial = security_keys.serial_number(
        page.caller.partition, page.caller.account_id, name, device_name, page.backend.runtime.random_bytes,
    )

    def work(context: OperationContext) -> None:
        security_keys.register(
            context, serial=serial, user_name=name, device_name=device_name, handle=form.field("handle"),
            credential=form.field("credential"), rp_id=page.rp_id, origin=page.origin,
        )

    try:
        page.run_as("EnableMFADevice", {"UserName": name, "SerialNumber": serial}, work)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        page.flash(f"The security key was not registered ({exc.code}: {exc.message})")
        return Response.redirect(f"/console/users/{name}")
    page.flash("Security key registered.")
    return Response.redirect(f"/console/users/{name}")


ROUTES: list[Route] = [
    route("POST", "/users/{name}/mfa", start),
    route("POST", "/users/{name}/mfa/enable", enable),
    route("POST", "/users/{name}/mfa/remove", remove),
    route("POST", "/users/{name}/security-key", security_key_start),
    route("POST", "/users/{name}/security-key/enable", security_key_finish),
]
