"""The operations iamd implements, as a Markdown document (``docs/operations.md``).

Every operation of botocore's IAM and STS models is listed with its status, taken from the
handlers the operation table lists (``iamd.server.operations.implemented``), and the area of the
API it belongs to. The document is generated, never edited by hand:
``iamd operations > docs/operations.md``.
"""

from __future__ import annotations

import re
from collections import defaultdict

from iamd.protocol import load_service
from iamd.server.operations import implemented

SERVICES = (("iam", "IAM"), ("sts", "STS"))
REGENERATE = "iamd operations > docs/operations.md"

# The area of an operation: the first rule whose pattern occurs in its name. Order matters
# (``ServerCertificate`` before ``Role``, ``InstanceProfile`` before ``Role``...).
_AREAS: dict[str, tuple[tuple[str, str], ...]] = {
    "iam": (
        (r"ServerCertificate", "server certificates"),
        (r"SigningCertificate", "signing certificates"),
        (r"SSHPublicKey", "SSH public keys"),
        (r"ServiceSpecificCredential", "service-specific credentials"),
        (r"ServiceLinkedRole", "service-linked roles"),
        (r"PermissionsBoundary", "permissions boundaries"),
        (r"InstanceProfile", "instance profiles"),
        (r"MFADevice", "MFA devices"),
        (r"LoginProfile|ChangePassword", "login profiles (console passwords)"),
        (r"AccountPasswordPolicy", "password policy"),
        (r"CredentialReport", "credential reports"),
        (
            r"ServiceLastAccessed|OrganizationsAccessReport|PoliciesGrantingServiceAccess",
            "access advisor",
        ),
        (r"Simulate|ContextKeys", "policy simulator"),
        (r"SAMLProvider", "SAML providers"),
        (r"OpenIDConnectProvider", "OpenID Connect providers"),
        (r"WorkloadIdentity", "workload identity providers and templates"),
        (r"Organizations|OrganizationLevelResources", "organizations features"),
        (r"Delegation|AcquireRole", "delegation requests"),
        (r"OutboundWebIdentityFederation", "outbound web identity federation"),
        (r"AccessKey", "access keys"),
        (r"AccountAlias|AccountSummary|AccountAuthorizationDetails", "account"),
        (r"AccountProperties|SecurityTokenServicePreferences", "account settings"),
        (r"HumanReadableSummary|RoleTemplate", "policy summaries and role templates"),
        (r"^(Attach|Detach)|ListAttached|ListEntitiesForPolicy", "policy attachments"),
        (r"^(Put|Get|Delete|List)(User|Group|Role)Polic", "inline policies"),
        (r"Polic", "managed policies"),
        (r"Group", "groups"),
        (r"Role", "roles"),
        (r"User", "users"),
    ),
    "sts": (
        (r"AssumeRoleWith|WebIdentity", "federation"),
        (r"AssumeRole|AssumeRoot", "assume role"),
        (r"FederationToken|SessionToken|DelegatedAccessToken|ScopedCredentials", "session tokens"),
        (r"CallerIdentity|AccessKeyInfo|DecodeAuthorizationMessage", "caller and key information"),
        (r"WorkloadIdentity|GetCertificate|TrustBundles", "workload identity"),
    ),
}


def area_of(service: str, operation_name: str) -> str:
    for pattern, area in _AREAS.get(service, ()):
        if re.search(pattern, operation_name):
            return area
    return "other"


def document() -> str:
    """The whole Markdown document, ending with a newline."""
    lines = [
        "# Operations",
        "",
        "Every operation of the AWS IAM and STS APIs (as botocore's service models define them) and",
        "whether iamd implements it. An operation that is not implemented yet answers the AWS-style",
        "error `NotImplemented` (HTTP 501), never a fake success.",
        "",
        f"This file is generated from the code; do not edit it by hand. Regenerate it with `{REGENERATE}`.",
        "",
    ]
    for service, title in SERVICES:
        model = load_service(service)
        names = sorted(model.operation_names)
        done = implemented(service)
        lines += [
            f"## {title} (API version {model.api_version}): {len(done & set(names))} of {len(names)} implemented",
            "",
            "| Operation | Area | Status |",
            "| --- | --- | --- |",
        ]
        missing: dict[str, list[str]] = defaultdict(list)
        for name in names:
            area = area_of(service, name)
            status = "implemented" if name in done else "not yet"
            lines.append(f"| {name} | {area} | {status} |")
            if name not in done:
                missing[area].append(name)
        lines.append("")
        if missing:
            lines += [f"### {title}: not implemented yet, by area", ""]
            for area in sorted(missing):
                lines.append(f"- **{area}**: {', '.join(missing[area])}")
            lines.append("")
    return "\n".join(lines)
