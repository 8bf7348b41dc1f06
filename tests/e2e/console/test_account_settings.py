"""Account settings in the browser (a server of its own: a password policy changes what the
other console tests see)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import RunningServer
from tests.e2e.console.conftest import screenshot, sign_in_root


def test_alias_and_password_policy(console_server: RunningServer, page: Any) -> None:
    sign_in_root(page, console_server)
    page.goto(console_server.endpoint + "/console/account")
    assert page.is_visible("#no-policy")
    page.fill("input[name=alias]", "example-corp")
    page.click("#save-alias")
    assert "/console/example-corp" in (page.text_content("main") or "")
    page.fill("input[name=minimum_length]", "14")
    page.check("input[name=RequireSymbols]")
    page.click("#save-policy")
    assert "Password policy saved." in (page.text_content(".flash") or "")
    screenshot(page, "account")
    policy = console_server.client("iam").get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14 and policy["RequireSymbols"]
    page.goto(console_server.endpoint + "/console")
    assert "A password policy is set" in (page.text_content("#recommendations") or "")

    # The per-account sign-in URL takes the alias, and a forced change shows the new policy.
    iam = console_server.client("iam")
    iam.create_user(UserName="newcomer")
    iam.create_login_profile(UserName="newcomer", Password="Initial-Passw0rd!!", PasswordResetRequired=True)
    page.click("text=Sign out")
    page.goto(console_server.endpoint + "/console/example-corp")
    page.fill("input[name=user_name]", "newcomer")
    page.fill("input[name=password]", "Initial-Passw0rd!!")
    page.click("form[method=post] button[type=submit]")
    page.wait_for_url("**/console/change-password")
    rules = page.text_content("#password-policy") or ""
    assert "At least 14 characters" in rules and "At least one symbol" in rules
