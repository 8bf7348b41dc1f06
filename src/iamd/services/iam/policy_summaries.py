"""Human-readable summaries (GetHumanReadableSummary) and role templates (GetRoleTemplateVersion).

GetHumanReadableSummary summarises an entity in plain language; AWS supports one entity
type, the delegation request (``arn:<partition>:iam::<account>:delegation-request/<id>``),
and writes the summary with a large language model. iamd stores no delegation requests
(the delegation request operations are not implemented), so every delegation request ARN
names no entity: ``NoSuchEntity``. An ARN of any other kind, or an unsupported locale, is
``InvalidInput``.

GetRoleTemplateVersion reads a version of a role template. Role templates are AWS's own
catalogue, published under the ``aws`` account
(``arn:<partition>:iam::aws:role-template/<service principal>/<name>:<major version>``);
iamd carries none of them, so a well-formed template ARN names no template:
``NoSuchEntity``. Anything else is ``InvalidInput``.
"""

from __future__ import annotations

import re

from iamd.protocol.errors import InvalidInput, NoSuchEntity
from iamd.services.operations import OperationContext, Output, Params, operation

_DELEGATION_REQUEST_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):iam::(?P<account>[0-9]{12}):delegation-request/(?P<id>[\w-]+)"
)
_ROLE_TEMPLATE_ARN = re.compile(
    r"arn:aws[a-z-]*:iam::aws:role-template/[\w.+=,@-]+/[\w+=,.-]+:[0-9]+"
)

# The locales of the AWS Management Console, in which AWS writes summaries.
SUPPORTED_LOCALES = frozenset(
    {"de_DE", "en_US", "es_ES", "fr_FR", "id_ID", "it_IT", "ja_JP", "ko_KR", "pt_BR", "tr_TR", "zh_CN", "zh_TW"}
)


@operation("iam", "GetHumanReadableSummary")
def get_human_readable_summary(context: OperationContext, params: Params) -> Output:
    arn = params["EntityArn"]
    locale = params.get("Locale")
    if locale is not None and locale not in SUPPORTED_LOCALES:
        raise InvalidInput(f"Locale {locale} is not supported.")
    found = _DELEGATION_REQUEST_ARN.fullmatch(arn)
    if found is None:
        raise InvalidInput(
            f"Invalid EntityArn: {arn}. The only supported entity type is delegation-request."
        )
    raise NoSuchEntity(f"The delegation request with ID {found['id']} cannot be found.")


@operation("iam", "GetRoleTemplateVersion")
def get_role_template_version(context: OperationContext, params: Params) -> Output:
    arn = params["TemplateArn"]
    if _ROLE_TEMPLATE_ARN.fullmatch(arn) is None:
        raise InvalidInput(f"Invalid role template ARN: {arn}.")
    minor = params.get("MinorVersion")
    if minor is not None and minor < 1:
        raise InvalidInput(f"Invalid minor version: {minor}. The minor version must be a positive integer.")
    raise NoSuchEntity(f"The role template with ARN {arn} cannot be found.")
