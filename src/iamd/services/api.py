"""Imports every module that registers operation handlers."""

from iamd.services import assume_role, authorization_messages, sts  # noqa: F401
from iamd.services.federation import api as federation_api  # noqa: F401
from iamd.services.iam import (
    access_advisor,  # noqa: F401
    access_keys,  # noqa: F401
    account,  # noqa: F401
    account_settings,  # noqa: F401
    attachments,  # noqa: F401
    authorization_details,  # noqa: F401
    boundaries,  # noqa: F401
    credential_report,  # noqa: F401
    delegation_requests,  # noqa: F401
    groups,  # noqa: F401
    inline_policies,  # noqa: F401
    instance_profiles,  # noqa: F401
    login_profiles,  # noqa: F401
    managed_policies,  # noqa: F401
    mfa,  # noqa: F401
    organizations_features,  # noqa: F401
    outbound_federation,  # noqa: F401
    password_policy,  # noqa: F401
    policy_summaries,  # noqa: F401
    policy_versions,  # noqa: F401
    roles,  # noqa: F401
    server_certificates,  # noqa: F401
    service_credentials,  # noqa: F401
    service_linked_roles,  # noqa: F401
    signing_certificates,  # noqa: F401
    simulator,  # noqa: F401
    ssh_keys,  # noqa: F401
    users,  # noqa: F401
)
