"""The operation table: which handler serves which AWS operation.

Handlers label themselves with ``@operation(service, name)`` (``iamd.services.operations``);
this module lists the API modules and collects the labelled functions, once, at the edge.
Keeping the table here means no module of ``iamd.services`` imports all the others.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

from iamd.services import assume_role, authorization_messages, cloudtrail, sts
from iamd.services.federation import (
    oidc_providers,
    outbound_tokens,
    saml,
    saml_providers,
    web_identity,
)
from iamd.services.iam import (
    access_advisor,
    access_keys,
    account,
    account_settings,
    attachments,
    authorization_details,
    boundaries,
    credential_report,
    delegation_requests,
    groups,
    inline_policies,
    instance_profiles,
    login_profiles,
    managed_policies,
    mfa,
    organizations_features,
    outbound_federation,
    password_policy,
    policy_summaries,
    policy_versions,
    roles,
    server_certificates,
    service_credentials,
    service_linked_roles,
    signing_certificates,
    simulator,
    ssh_keys,
    users,
)
from iamd.services.operations import Handler, served_by

API_MODULES: tuple[ModuleType, ...] = (
    # STS and the operations around it
    sts,
    assume_role,
    authorization_messages,
    oidc_providers,
    outbound_tokens,
    saml,
    saml_providers,
    web_identity,
    # IAM, one module per area
    access_advisor,
    access_keys,
    account,
    account_settings,
    attachments,
    authorization_details,
    boundaries,
    credential_report,
    delegation_requests,
    groups,
    inline_policies,
    instance_profiles,
    login_profiles,
    managed_policies,
    mfa,
    organizations_features,
    outbound_federation,
    password_policy,
    policy_summaries,
    policy_versions,
    roles,
    server_certificates,
    service_credentials,
    service_linked_roles,
    signing_certificates,
    simulator,
    ssh_keys,
    users,
    # JSON-protocol APIs
    cloudtrail,
)


@cache
def table() -> dict[tuple[str, str], Handler]:
    """Every implemented ``(service, operation)`` and its handler."""
    handlers: dict[tuple[str, str], Handler] = {}
    for module in API_MODULES:
        for value in vars(module).values():
            for key in served_by(value):
                if key in handlers and handlers[key] is not value:
                    raise RuntimeError(f"operation {key[0]}:{key[1]} has two handlers")
                handlers[key] = value
    return handlers


def handler_for(service: str, name: str) -> Handler | None:
    return table().get((service, name))


def implemented(service: str) -> set[str]:
    return {name for (svc, name) in table() if svc == service}
