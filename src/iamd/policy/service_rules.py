"""Rules AWS services apply on top of the general policy evaluation logic.

These are AWS behaviours that no policy document expresses:

* ``sts:GetCallerIdentity`` needs no permission and cannot be denied ("No permissions
  are required to perform this operation", STS API reference);
* a KMS key's key policy must allow access: identity-based policies take effect only
  when the key policy allows the account (KMS Developer Guide, "Key policies");
* assuming a role (``sts:AssumeRole``, ``...WithSAML``, ``...WithWebIdentity`` and the
  session actions evaluated with them) needs the role's trust policy to allow it, even
  in the same account (IAM User Guide, "Roles terms and concepts");
* AWS managed policies (``arn:aws:iam::aws:policy/...``) cannot be created, changed,
  tagged or deleted by anyone;
* roles under the ``/aws-reserved/`` path (IAM Identity Center) can be read but not
  changed, passed or deleted;
* AWS managed KMS aliases (``alias/aws/...``) cannot be created, updated or deleted.

The functions answer a sentence (the reason, for traces) or ``None``.
"""

from __future__ import annotations

from .arn import try_parse_arn

_NO_PERMISSION_NEEDED = frozenset({"sts:getcalleridentity"})
_TRUST_ACTIONS = frozenset(
    {"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
     "sts:tagsession", "sts:setsourceidentity", "sts:setcontext"}
)
_MANAGED_POLICY_WRITES = frozenset(
    {"iam:createpolicy", "iam:createpolicyversion", "iam:deletepolicy",
     "iam:deletepolicyversion", "iam:setdefaultpolicyversion", "iam:tagpolicy",
     "iam:untagpolicy"}
)
_READ_PREFIXES = ("iam:get", "iam:list", "iam:generate", "iam:simulate")
_ALIAS_WRITES = frozenset({"kms:createalias", "kms:updatealias", "kms:deletealias"})


def always_allowed(action_l: str) -> str | None:
    if action_l in _NO_PERMISSION_NEEDED:
        return "`sts:GetCallerIdentity` needs no permission and cannot be denied"
    return None


_RULE_SERVICES = ("iam:", "kms:", "sts:")


def requires_resource_policy(action_l: str, resource: str) -> str | None:
    """Why this request needs the resource-based policy to allow it, even in one account."""
    if not action_l.startswith(_RULE_SERVICES):
        return None
    arn = try_parse_arn(resource)
    if arn is None:
        return None
    if arn.service == "kms" and arn.resource_type == "key" and action_l.startswith("kms:"):
        return "a KMS key is usable only when its key policy allows it"
    if action_l in _TRUST_ACTIONS and arn.service == "iam" and arn.resource_type == "role":
        return "a role can be assumed only when its trust policy allows it"
    return None


def never_allowed(action_l: str, resource: str) -> str | None:
    """Why no policy can allow this request (an explicit deny still applies)."""
    if not action_l.startswith(_RULE_SERVICES):
        return None
    arn = try_parse_arn(resource)
    if arn is None:
        return None
    if arn.service == "iam":
        if (arn.account == "aws" and arn.resource_type == "policy"
                and action_l in _MANAGED_POLICY_WRITES):
            return "AWS managed policies cannot be modified"
        if (arn.resource.startswith("role/aws-reserved/") and action_l.startswith("iam:")
                and not action_l.startswith(_READ_PREFIXES)):
            return "roles under the `/aws-reserved/` path cannot be modified"
    if arn.service == "kms" and action_l in _ALIAS_WRITES and arn.resource.startswith(
        "alias/aws/"
    ):
        return "AWS managed KMS aliases cannot be modified"
    return None
