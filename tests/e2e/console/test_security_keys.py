"""Security keys (FIDO2/WebAuthn) in a real browser, with Chromium's virtual authenticator
driven over the DevTools protocol: registration from the user's page, sign-in with
password and key, and the refusals (another authenticator, a cloned key, a forged answer).

WebAuthn needs a secure context and a relying party id that is a domain, so these tests
browse ``http://localhost:PORT`` (a secure context) rather than ``127.0.0.1``.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.conftest import RunningServer
from tests.e2e.console.conftest import ROOT_EMAIL, ROOT_PASSWORD, screenshot

PASSWORD = "Key-User-Passw0rd!"
FAILED = "Your authentication information is incorrect. Please try again."
AUTHENTICATOR = {
    "protocol": "ctap2", "transport": "usb", "hasResidentKey": False,
    "hasUserVerification": True, "isUserVerified": True,
}


def base(server: RunningServer) -> str:
    return server.endpoint.replace("127.0.0.1", "localhost")


def add_authenticator(page: Any) -> tuple[Any, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    return cdp, added["authenticatorId"]


def sign_in_root(page: Any, server: RunningServer) -> None:
    page.goto(base(server) + "/console/signin")
    page.fill("input[name=email]", ROOT_EMAIL)
    page.fill("input[name=password]", ROOT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base(server) + "/console")


def password_step(page: Any, server: RunningServer, user: str) -> None:
    page.goto(f"{base(server)}/console/{server.account_id}")
    page.fill("input[name=user_name]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[method=post] button[type=submit]")


def test_register_a_security_key_then_sign_in_with_it(console_server: RunningServer, page: Any) -> None:
    name = f"keyed-{uuid.uuid4().hex[:8]}"
    iam = console_server.client("iam")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD)
    cdp, authenticator = add_authenticator(page)

    sign_in_root(page, console_server)
    page.goto(f"{base(console_server)}/console/users/{name}")
    page.fill("input[name=device_name]", "yubikey")
    page.click("#add-security-key")
    page.wait_for_selector("#register-security-key")
    screenshot(page, "security-key-register")
    page.click("#register-security-key")
    page.wait_for_url(f"**/console/users/{name}")
    assert "Security key registered." in (page.text_content(".flash") or "")
    assert f":u2f/user/{name}/yubikey-" in (page.text_content("#mfa-devices") or "")
    (device,) = iam.list_mfa_devices(UserName=name)["MFADevices"]
    assert device["SerialNumber"].startswith(f"arn:aws:iam::{console_server.account_id}:u2f/user/{name}/yubikey-")
    assert device["SerialNumber"] not in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    (credential,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    page.click("text=Sign out")

    # Password, then the key: the MFA page runs navigator.credentials.get by itself.
    password_step(page, console_server, name)
    page.wait_for_url(base(console_server) + "/console")
    assert page.text_content("#identity") == f"{name} @ {console_server.account_id}"
    assert page.is_visible("text=MFA")
    page.click("text=Sign out")

    # Another authenticator, without the credential, cannot answer.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    other = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})["authenticatorId"]
    password_step(page, console_server, name)
    page.wait_for_url("**/console/mfa")
    page.wait_for_selector("#webauthn-status.error", timeout=90_000)
    assert page.locator("#identity").count() == 0

    # A forged answer is refused like a wrong password.
    csrf = page.locator("#security-key-form input[name=csrf]").get_attribute("value")
    forged = page.request.post(f"{base(console_server)}/console/mfa", form={
        "csrf": csrf, "credential": '{"id": "x", "rawId": "x", "type": "public-key", "response": {}}',
    })
    assert forged.status == 401 and FAILED in forged.text()

    # A copy of the key whose signature counter went back is refused: a cloned key.
    cdp.send("WebAuthn.addCredential", {"authenticatorId": other, "credential": dict(credential, signCount=0)})
    password_step(page, console_server, name)
    page.wait_for_url("**/console/mfa")
    page.wait_for_selector("#signin-error")
    assert page.text_content("#signin-error") == FAILED

    # The same copy, its counter ahead of the server's, signs in.
    cdp.send("WebAuthn.clearCredentials", {"authenticatorId": other})
    cdp.send("WebAuthn.addCredential", {"authenticatorId": other, "credential": dict(credential, signCount=100)})
    password_step(page, console_server, name)
    page.wait_for_url(base(console_server) + "/console")
    assert page.text_content("#identity") == f"{name} @ {console_server.account_id}"


def test_a_read_only_user_cannot_register_a_key_for_another(console_server: RunningServer, page: Any) -> None:
    reader, victim = f"reader-{uuid.uuid4().hex[:8]}", f"victim-{uuid.uuid4().hex[:8]}"
    iam = console_server.client("iam")
    iam.create_user(UserName=reader)
    iam.create_login_profile(UserName=reader, Password=PASSWORD)
    iam.attach_user_policy(UserName=reader, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.create_user(UserName=victim)
    password_step(page, console_server, reader)
    page.wait_for_url(base(console_server) + "/console")
    page.goto(f"{base(console_server)}/console/users/{victim}")
    assert page.locator("#add-security-key").count() == 0
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    started = page.request.post(f"{base(console_server)}/console/users/{victim}/security-key",
                                form={"csrf": csrf, "device_name": "mine"})
    assert started.status == 403 and "iam:EnableMFADevice" in started.text()
    finished = page.request.post(f"{base(console_server)}/console/users/{victim}/security-key/enable",
                                 form={"csrf": csrf, "device_name": "mine", "handle": "x", "credential": "{}"})
    assert finished.status == 403 and "iam:EnableMFADevice" in finished.text()
    assert iam.list_mfa_devices(UserName=victim)["MFADevices"] == []
