"""The credential report: GenerateCredentialReport and GetCredentialReport.

The report is AWS's CSV, column for column: a ``<root_account>`` row, then one row per
IAM user, with ``true``/``false``, ``N/A``, ``no_information`` and ``not_supported``
where AWS writes them and timestamps as ``2024-01-02T03:04:05+00:00``. It is built
synchronously, but the call that builds it answers ``STARTED`` as AWS's first call does;
a report younger than four hours is reused (``COMPLETE``). After four hours
GetCredentialReport answers ``ReportExpired`` until a new one is generated.

The stored report holds ARNs in the ``aws`` partition; GetCredentialReport rewrites them
into the caller's.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from iamd.protocol.errors import CredentialReportExpired, CredentialReportNotPresent
from iamd.services import arns
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.store.reports import ROOT, CredentialFacts, KeyFacts

REPORT_LIFETIME = timedelta(hours=4)

HEADER = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)

ROOT_NAME = "<root_account>"
STARTED_DESCRIPTION = "No report exists. Starting a new report generation task"

NOT_APPLICABLE = "N/A"
NO_INFORMATION = "no_information"
NOT_SUPPORTED = "not_supported"

_STORED_PARTITION = "aws"


def timestamp(moment: datetime) -> str:
    """``2024-01-02T03:04:05+00:00``: AWS's report timestamps, to the second, in UTC."""
    return moment.replace(microsecond=0).isoformat()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _key_columns(keys: list[KeyFacts], index: int) -> list[str]:
    if index >= len(keys):
        return ["false", NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE]
    key = keys[index]
    if key.last_used_at is None:
        used = [NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE]
    else:
        used = [timestamp(key.last_used_at), key.last_used_region or NOT_APPLICABLE,
                key.last_used_service or NOT_APPLICABLE]
    return [_flag(key.active), timestamp(key.created_at), *used]


def _certificate_columns(certificates: list[KeyFacts], index: int) -> list[str]:
    if index >= len(certificates):
        return ["false", NOT_APPLICABLE]
    certificate = certificates[index]
    return [_flag(certificate.active), timestamp(certificate.created_at)]


def _credential_columns(facts: CredentialFacts, owner: str) -> list[str]:
    """mfa_active through cert_2_last_rotated, for a user id or ``ROOT``."""
    keys = facts.access_keys.get(owner, [])
    certificates = facts.certificates.get(owner, [])
    return [
        _flag(owner in facts.mfa_active),
        *_key_columns(keys, 0),
        *_key_columns(keys, 1),
        *_certificate_columns(certificates, 0),
        *_certificate_columns(certificates, 1),
    ]


def _latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def _root_row(facts: CredentialFacts, account_id: str) -> list[str]:
    profile = facts.login_profiles.get(ROOT)
    has_password = facts.root_has_password or profile is not None
    last_used = profile.last_used_at if profile else None
    if last_used is not None:
        password_last_used = timestamp(last_used)
    else:
        password_last_used = NO_INFORMATION if has_password else NOT_APPLICABLE
    created = facts.account_created_at
    return [
        ROOT_NAME,
        arns.root_arn(_STORED_PARTITION, account_id),
        timestamp(created) if created is not None else NOT_APPLICABLE,
        NOT_SUPPORTED,
        password_last_used,
        NOT_SUPPORTED,
        NOT_SUPPORTED,
        *_credential_columns(facts, ROOT),
    ]


def _user_rows(facts: CredentialFacts, account_id: str) -> list[list[str]]:
    rows = []
    for user in facts.users:
        profile = facts.login_profiles.get(user.id)
        last_used = _latest(user.password_last_used, profile.last_used_at if profile else None)
        if profile is None:
            password = ["false", NOT_APPLICABLE, NOT_APPLICABLE, NOT_APPLICABLE]
        else:
            if facts.max_password_age:
                next_rotation = timestamp(profile.changed_at + timedelta(days=facts.max_password_age))
            else:
                next_rotation = NOT_APPLICABLE
            password = [
                "true",
                timestamp(last_used) if last_used is not None else NO_INFORMATION,
                timestamp(profile.changed_at),
                next_rotation,
            ]
        rows.append([
            user.name,
            arns.iam_arn(_STORED_PARTITION, account_id, "user", user.path, user.name),
            timestamp(user.created_at),
            *password,
            *_credential_columns(facts, user.id),
        ])
    return rows


def render(facts: CredentialFacts, account_id: str) -> str:
    """The report's CSV text (ARNs in the ``aws`` partition), without a final newline."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerow(_root_row(facts, account_id))
    writer.writerows(_user_rows(facts, account_id))
    return buffer.getvalue().rstrip("\n")


def _in_partition(content: str, partition: str) -> str:
    if partition == _STORED_PARTITION:
        return content
    # An ARN is the second field of a row, quoted when the user name holds a comma.
    for lead in (",", ',"'):
        content = content.replace(f"{lead}arn:{_STORED_PARTITION}:iam::", f"{lead}arn:{partition}:iam::")
    return content


@operation("iam", "GenerateCredentialReport")
def generate_credential_report(context: OperationContext, params: Params) -> Output:
    account_id = context.caller.account_id
    # AWS dates reports to the second.
    now = context.runtime.now().replace(microsecond=0)
    with context.db.transaction() as unit:
        reports = unit.reports
        existing = reports.credential_report(account_id)
        if existing is not None and now - existing.generated_at < REPORT_LIFETIME:
            return {"State": "COMPLETE"}
        content = render(reports.credential_facts(account_id), account_id)
        reports.save_credential_report(account_id, now, content)
        # A report is cached nowhere: writing it leaves the state version as it is.
    return {"State": "STARTED", "Description": STARTED_DESCRIPTION}


@operation("iam", "GetCredentialReport")
def get_credential_report(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        report = unit.reports.credential_report(context.caller.account_id)
    # AWS sends these two errors without a message.
    if report is None:
        raise CredentialReportNotPresent()
    if context.runtime.now() - report.generated_at >= REPORT_LIFETIME:
        raise CredentialReportExpired()
    return {
        "Content": _in_partition(report.content, context.caller.partition).encode("utf-8"),
        "ReportFormat": "text/csv",
        "GeneratedTime": report.generated_at,
    }
