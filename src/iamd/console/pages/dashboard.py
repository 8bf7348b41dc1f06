"""The dashboard: the account at a glance and its security recommendations.

Each recommendation comes from IAM calls the signed-in principal makes (and may be
refused): a check it may not make is shown as unavailable, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page

KEY_AGE_LIMIT = timedelta(days=90)
USERS_CHECKED = 100


@dataclass(frozen=True)
class Recommendation:
    ok: bool
    title: str
    detail: str = ""


def dashboard(page: Page) -> Response:
    recommendations: list[Recommendation] = []
    summary = page.try_iam("GetAccountSummary")
    if isinstance(summary, OperationError):
        recommendations.append(Recommendation(False, "Root user checks unavailable", summary.message))
        counts: dict[str, int] = {}
    else:
        counts = summary.get("SummaryMap") or {}
        recommendations.append(
            Recommendation(True, "The root user has MFA")
            if counts.get("AccountMFAEnabled")
            else Recommendation(False, "Add MFA for the root user", "The root user signs in with a password only.")
        )
        recommendations.append(
            Recommendation(False, "Delete the root user's access keys", "Use IAM users or roles instead.")
            if counts.get("AccountAccessKeysPresent")
            else Recommendation(True, "The root user has no access keys")
        )
    policy = page.try_iam("GetAccountPasswordPolicy")
    if isinstance(policy, OperationError):
        if policy.code == "NoSuchEntity":
            recommendations.append(Recommendation(False, "Set a password policy", "IAM users' passwords follow AWS's default rules."))
        else:
            recommendations.append(Recommendation(False, "Password policy check unavailable", policy.message))
    else:
        recommendations.append(Recommendation(True, "A password policy is set"))
    recommendations.extend(_user_checks(page))
    aliases = page.try_iam("ListAccountAliases")
    alias = None if isinstance(aliases, OperationError) else next(iter(aliases.get("AccountAliases") or []), None)
    return page.render("dashboard.html", recommendations=recommendations, counts=counts, alias=alias)


def _user_checks(page: Page) -> list[Recommendation]:
    users = page.try_iam("ListUsers", MaxItems=str(USERS_CHECKED))
    if isinstance(users, OperationError):
        return [Recommendation(False, "User checks unavailable", users.message)]
    without_mfa: list[str] = []
    old_keys: list[str] = []
    for user in users.get("Users") or []:
        name = user["UserName"]
        devices = page.try_iam("ListMFADevices", UserName=name)
        if isinstance(devices, dict) and not devices.get("MFADevices"):
            without_mfa.append(name)
        keys = page.try_iam("ListAccessKeys", UserName=name)
        if isinstance(keys, dict):
            for key in keys.get("AccessKeyMetadata") or []:
                if key.get("Status") == "Active" and page.now - key["CreateDate"] > KEY_AGE_LIMIT:
                    old_keys.append(f"{name} ({key['AccessKeyId']})")
    found = [
        Recommendation(False, "Users without MFA", ", ".join(without_mfa))
        if without_mfa
        else Recommendation(True, "Every user has MFA"),
        Recommendation(False, "Active access keys older than 90 days", ", ".join(old_keys))
        if old_keys
        else Recommendation(True, "No active access key is older than 90 days"),
    ]
    return found


ROUTES: list[Route] = [route("GET", "", dashboard)]
