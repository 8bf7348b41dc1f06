"""The tables. Alembic migrations under ``migrations/`` create and evolve them.

Every entity row carries its ``account_id``: IAM is multi-account. Names are unique per
account and type without regard to case, as in AWS, through a ``name_lower`` column.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from iamd.store.types import UTCDateTime

metadata = MetaData()

# The state version: every write bumps it in the same transaction, and processes that share
# the database compare it to know when their caches are stale. It is the sum of
# ``STATE_VERSION_SLOTS`` rows (migration 0013), each transaction bumping one at random, so
# that concurrent writers do not queue on one row's lock from their bump to their commit.
STATE_VERSION_SLOTS = 16
state_version = Table(
    "state_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

# Facts about the store itself, not about any account: e.g. the check value of the master
# key that sealed its secrets. A reset (``wipe``) keeps them.
store_meta = Table(
    "store_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(12), primary_key=True),
    Column("email", String(320), nullable=True),
    Column("root_password_hash", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # The partition the account lives in (aws, aws-cn, aws-us-gov...): every ARN of the
    # account uses it, and requests signed for another partition's regions are refused.
    Column("partition", String(32), nullable=False, server_default="aws"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("permissions_boundary_arn", String(2048), nullable=True),
    Column("password_last_used", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_users_account_name"),
)

# user_id NULL means the account's root user.
access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime(), nullable=True),
    Column("last_used_region", String(32), nullable=True),
    Column("last_used_service", String(64), nullable=True),
)

groups = Table(
    "groups",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_groups_account_name"),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(32), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("added_at", UTCDateTime(), nullable=False),
)

roles = Table(
    "roles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("description", String(1000), nullable=True),
    Column("max_session_duration", Integer, nullable=False),
    Column("trust_policy", Text, nullable=False),
    Column("permissions_boundary_arn", String(2048), nullable=True),
    Column("service_linked_service", String(256), nullable=True),
    Column("last_used_at", UTCDateTime(), nullable=True),
    Column("last_used_region", String(32), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("max_signin_session_duration", Integer, nullable=True),
    UniqueConstraint("account_id", "name_lower", name="uq_roles_account_name"),
)

# Customer managed policies. AWS managed policies are package data, not rows.
managed_policies = Table(
    "managed_policies",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("description", String(1000), nullable=True),
    Column("default_version_id", String(16), nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_policies_account_name"),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("policy_id", String(32), ForeignKey("managed_policies.id", ondelete="CASCADE"), primary_key=True),
    Column("version_id", String(16), primary_key=True),
    Column("document", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# A managed policy attached to a user, group or role. ``policy_arn`` is stored in the
# ``aws`` partition; responses rewrite it to the caller's partition.
policy_attachments = Table(
    "policy_attachments",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("entity_kind", String(16), primary_key=True),
    Column("entity_id", String(32), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    Column("attached_at", UTCDateTime(), nullable=False),
)

inline_policies = Table(
    "inline_policies",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("entity_kind", String(16), primary_key=True),
    Column("entity_id", String(32), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

# Tags of any taggable entity; ``position`` keeps the order they were added in.
tags = Table(
    "tags",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("entity_kind", String(32), primary_key=True),
    Column("entity_id", String(256), primary_key=True),
    Column("key_lower", String(128), primary_key=True),
    Column("key", String(128), nullable=False),
    Column("value", String(256), nullable=False),
    Column("position", Integer, nullable=False),
)

instance_profiles = Table(
    "instance_profiles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_instance_profiles_account_name"),
)

instance_profile_roles = Table(
    "instance_profile_roles",
    metadata,
    Column("instance_profile_id", String(32), ForeignKey("instance_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", String(32), ForeignKey("roles.id", ondelete="CASCADE"), nullable=False),
)

account_aliases = Table(
    "account_aliases",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("alias", String(63), nullable=False, unique=True),
)

ssh_public_keys = Table(
    "ssh_public_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
)

signing_certificates = Table(
    "signing_certificates",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
)

server_certificates = Table(
    "server_certificates",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("body", Text, nullable=False),
    Column("chain", Text, nullable=True),
    Column("private_key_sealed", LargeBinary, nullable=False),
    Column("expiration", UTCDateTime(), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_server_certificates_account_name"),
)

service_specific_credentials = Table(
    "service_specific_credentials",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("service_name", String(128), nullable=False),
    Column("service_user_name", String(200), nullable=False),
    Column("password_sealed", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=True),
)

# -- passwords, MFA, the audit trail (migration 0003) ------------------------------------

# A console password: ``id`` is the user's id, or ``root-ACCOUNT`` for the root user.
login_profiles = Table(
    "login_profiles",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("password_hash", Text, nullable=False),
    Column("password_reset_required", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("password_changed_at", UTCDateTime(), nullable=False),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("last_used_at", UTCDateTime(), nullable=True),
    Column("max_signin_session_duration", Integer, nullable=True),
)

# Earlier password hashes of a login profile, for PasswordReusePrevention.
password_history = Table(
    "password_history",
    metadata,
    Column("login_profile_id", String(64), ForeignKey("login_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

password_policies = Table(
    "password_policies",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("minimum_length", Integer, nullable=False),
    Column("require_symbols", Integer, nullable=False),
    Column("require_numbers", Integer, nullable=False),
    Column("require_uppercase", Integer, nullable=False),
    Column("require_lowercase", Integer, nullable=False),
    Column("allow_users_to_change", Integer, nullable=False),
    Column("max_password_age", Integer, nullable=True),
    Column("password_reuse_prevention", Integer, nullable=True),
    Column("hard_expiry", Integer, nullable=True),
)

# MFA devices. ``serial_number`` is the device's ARN (virtual) or id; a device assigned
# to the root user has ``assigned_root`` set and no ``user_id``.
mfa_devices = Table(
    "mfa_devices",
    metadata,
    Column("serial_number", String(512), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(226), nullable=False),
    Column("path", String(512), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("seed_sealed", LargeBinary, nullable=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("assigned_root", Integer, nullable=False),
    Column("enabled_at", UTCDateTime(), nullable=True),
    Column("last_used_step", BigInteger, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# One row per API call or console sign-in, append-only, in CloudTrail's record format.
audit_events = Table(
    "audit_events",
    metadata,
    Column("sequence", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("account_id", String(12), nullable=False),
    Column("event_time", UTCDateTime(), nullable=False),
    Column("event_source", String(64), nullable=False),
    Column("event_name", String(128), nullable=False),
    Column("user_name", String(128), nullable=True),
    Column("principal_arn", String(2048), nullable=True),
    Column("access_key_id", String(128), nullable=True),
    Column("read_only", Integer, nullable=False),
    Column("error_code", String(128), nullable=True),
    Column("record", Text, nullable=False),
)

# Access advisor: when each entity last used each service (action NULL) and action.
service_last_accessed = Table(
    "service_last_accessed",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("entity_arn", String(2048), primary_key=True),
    Column("service_namespace", String(64), primary_key=True),
    Column("action_name", String(128), primary_key=True),
    Column("last_authenticated", UTCDateTime(), nullable=False),
    Column("region", String(32), nullable=True),
    Column("authenticated_entity", String(2048), nullable=True),
)

credential_reports = Table(
    "credential_reports",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("generated_at", UTCDateTime(), nullable=False),
    Column("content", Text, nullable=False),
)

# Access advisor jobs: the finished report of GenerateServiceLastAccessedDetails, as JSON,
# so that any process sharing the database can answer GetServiceLastAccessedDetails.
access_advisor_jobs = Table(
    "access_advisor_jobs",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("report", Text, nullable=False),
)

# Account-wide settings that are not entities: STS token version preference, outbound web
# identity federation, account properties. One row per (account, setting), value as JSON.
account_settings = Table(
    "account_settings",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

# Temporary delegation requests: created by a partner account (the requestor), associated
# with, reviewed and accepted or rejected by the customer account that owns them.
# ``owner_id`` and ``approver_id`` are principal ARNs stored in the ``aws`` partition.
delegation_requests = Table(
    "delegation_requests",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("requestor_account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("requestor_workflow_id", String(400), nullable=False),
    Column("owner_account_id", String(12), nullable=True),
    Column("owner_id", String(2048), nullable=True),
    Column("approver_id", String(2048), nullable=True),
    Column("description", Text, nullable=False),
    Column("request_message", Text, nullable=True),
    Column("permissions", Text, nullable=False),
    Column("redirect_url", String(255), nullable=True),
    Column("notification_channel", String(400), nullable=False),
    Column("session_duration", Integer, nullable=False),
    Column("only_send_by_owner", Integer, nullable=False),
    Column("state", String(32), nullable=False),
    Column("notes", Text, nullable=True),
    Column("rejection_reason", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("requestor_account_id", "requestor_workflow_id", name="uq_delegation_requests_workflow"),
)

# -- security keys (migration 0012) ---------------------------------------------------------

# A FIDO2/WebAuthn security key: an ``mfa_devices`` row of kind ``u2f`` plus the credential
# the authenticator created. ``sign_count`` is the authenticator's signature counter, which
# must grow at every use once it is not zero.
security_keys = Table(
    "security_keys",
    metadata,
    Column("serial_number", String(512), ForeignKey("mfa_devices.serial_number", ondelete="CASCADE"), primary_key=True),
    Column("credential_id", String(1024), nullable=False, unique=True),
    Column("public_key", LargeBinary, nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("rp_id", String(255), nullable=False),
)

# WebAuthn challenges handed to a browser: each is used once (deleted when it is answered)
# and short-lived. ``handle`` is what the console session keeps; ``purpose`` is
# ``register`` or ``authenticate``; the challenge is bound to one principal.
webauthn_challenges = Table(
    "webauthn_challenges",
    metadata,
    Column("handle", String(64), primary_key=True),
    Column("challenge", LargeBinary, nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(32), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=False),
)
