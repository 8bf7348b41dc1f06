"""The account: its alias, and the summary of its entities and quotas (GetAccountSummary).

An account has at most one alias, and an alias names one account across the whole
deployment (AWS: across its partition). Creating an alias replaces the one the account had;
asking for an alias any account already holds, this one included, is ``EntityAlreadyExists``.
"""

from __future__ import annotations

from typing import Any

from iamd.protocol.errors import EntityAlreadyExists, NoSuchEntity
from iamd.services.iam.account_settings import global_endpoint_token_version
from iamd.services.iam.common import paged
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.store import DuplicateKey

# Fixed by AWS and not configurable here: the attachments of managed policies an account may
# have in all.
POLICY_VERSIONS_IN_USE_QUOTA = 10000


def _alias_exists(alias: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"The account alias {alias} already exists.")


@operation("iam", "CreateAccountAlias")
def create_account_alias(context: OperationContext, params: Params) -> Output:
    alias = params["AccountAlias"]
    with context.db.transaction() as unit:
        if unit.aliases.owner(alias) is not None:
            raise _alias_exists(alias)
        try:
            unit.aliases.put(context.caller.account_id, alias)
        except DuplicateKey:
            # Another account took the alias between our look and our write.
            raise _alias_exists(alias) from None
    return None


@operation("iam", "DeleteAccountAlias")
def delete_account_alias(context: OperationContext, params: Params) -> Output:
    alias = params["AccountAlias"]
    with context.db.transaction() as unit:
        if unit.aliases.get(context.caller.account_id) != alias:
            raise NoSuchEntity(f"The account alias {alias} cannot be found.")
        unit.aliases.delete(context.caller.account_id)
    return None


@operation("iam", "ListAccountAliases")
def list_account_aliases(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        alias = unit.aliases.get(context.caller.account_id)
    aliases = [alias] if alias is not None else []

    def fetch(after: str | None, limit: int) -> list[str]:
        return [a for a in aliases if after is None or a > after][:limit]

    found, marker = page(params, fetch, key=lambda a: a)
    return paged({}, "AccountAliases", list(found), marker)


@operation("iam", "GetAccountSummary")
def get_account_summary(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        counts = unit.summary.counts(context.caller.account_id)
        # The version of STS tokens the global endpoint issues (1: valid only in regions
        # enabled by default), as SetSecurityTokenServicePreferences last set it.
        token_version = global_endpoint_token_version(unit, context.caller.account_id)
        providers = unit.identity_providers.count(context.caller.account_id)
    q = context.quotas
    summary: dict[str, Any] = {
        "Users": counts.users,
        "UsersQuota": q.users_per_account,
        "Groups": counts.groups,
        "GroupsQuota": q.groups_per_account,
        "Roles": counts.roles,
        "RolesQuota": q.roles_per_account,
        "Policies": counts.policies,
        "PoliciesQuota": q.policies_per_account,
        "PolicySizeQuota": q.managed_policy_size,
        "PolicyVersionsInUse": counts.policy_attachments,
        "PolicyVersionsInUseQuota": POLICY_VERSIONS_IN_USE_QUOTA,
        "VersionsPerPolicyQuota": q.versions_per_policy,
        "InstanceProfiles": counts.instance_profiles,
        "InstanceProfilesQuota": q.instance_profiles_per_account,
        "ServerCertificates": counts.server_certificates,
        "ServerCertificatesQuota": q.server_certificates_per_account,
        "Providers": providers,
        # Every MFA device of the account, assigned or not; those assigned to a user or to
        # the root user; and whether the root user has one.
        "MFADevices": counts.mfa_devices,
        "MFADevicesInUse": counts.mfa_devices_in_use,
        "AccountMFAEnabled": 1 if counts.root_mfa_devices else 0,
        "AccountAccessKeysPresent": 1 if counts.root_access_keys else 0,
        "AccountSigningCertificatesPresent": 1 if counts.root_signing_certificates else 0,
        "AccessKeysPerUserQuota": q.access_keys_per_user,
        "SigningCertificatesPerUserQuota": q.signing_certificates_per_user,
        "GroupsPerUserQuota": q.groups_per_user,
        "AttachedPoliciesPerUserQuota": q.managed_policies_per_user,
        "AttachedPoliciesPerGroupQuota": q.managed_policies_per_group,
        "AttachedPoliciesPerRoleQuota": q.managed_policies_per_role,
        "UserPolicySizeQuota": q.user_inline_policy_size,
        "GroupPolicySizeQuota": q.group_inline_policy_size,
        "RolePolicySizeQuota": q.role_inline_policy_size,
        "AssumeRolePolicySizeQuota": q.trust_policy_size,
        "GlobalEndpointTokenVersion": token_version,
    }
    return {"SummaryMap": summary}
