"""Imports every module that registers operation handlers."""

from iamd.services import assume_role, authorization_messages, sts  # noqa: F401
from iamd.services.iam import users  # noqa: F401
from iamd.services.iam import groups  # noqa: F401
from iamd.services.iam import access_keys  # noqa: F401
from iamd.services.iam import ssh_keys  # noqa: F401
from iamd.services.iam import signing_certificates  # noqa: F401
from iamd.services.iam import service_credentials  # noqa: F401
from iamd.services.iam import roles  # noqa: F401
from iamd.services.iam import service_linked_roles  # noqa: F401
from iamd.services.iam import instance_profiles  # noqa: F401
from iamd.services.iam import managed_policies  # noqa: F401
from iamd.services.iam import policy_versions  # noqa: F401
from iamd.services.iam import attachments  # noqa: F401
from iamd.services.iam import inline_policies  # noqa: F401
from iamd.services.iam import boundaries  # noqa: F401
from iamd.services.iam import account  # noqa: F401
from iamd.services.iam import authorization_details  # noqa: F401
from iamd.services.iam import server_certificates  # noqa: F401
from iamd.services.iam import mfa  # noqa: F401
from iamd.services.iam import password_policy  # noqa: F401
from iamd.services.iam import login_profiles  # noqa: F401
from iamd.services.iam import credential_report  # noqa: F401
from iamd.services.iam import access_advisor  # noqa: F401
from iamd.services.iam import simulator  # noqa: F401
