"""IAM's AWS Organizations features: centralized root access and Organizations access reports.

An iamd account belongs to no AWS Organization: it is a standalone account, and these
operations answer exactly what AWS answers one. This is the faithful behaviour, not a stub.

- Centralized root access (ListOrganizationsFeatures, Enable/DisableOrganizationsRoot-
  CredentialsManagement, Enable/DisableOrganizationsRootSessions) needs an organization
  whose management account (or IAM's delegated administrator) calls; a standalone account
  is refused with ``OrganizationNotFoundException`` (HTTP 400), the error AWS documents for
  "no organization is associated with your account".
- GenerateOrganizationsAccessReport starts a report job and answers its JobId, as AWS does
  before it looks the entity path up in Organizations; the job then fails, and
  GetOrganizationsAccessReport answers it ``FAILED`` with the error Organizations gives a
  standalone account (``AWSOrganizationsNotInUseException``) in ``ErrorDetails``. An
  unknown JobId, or one of another account, is ``NoSuchEntity``. The newest
  ``_MAX_JOBS`` jobs of each account are kept, in the account's settings.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from iamd.protocol.errors import NoSuchEntity, OrganizationNotFound
from iamd.services.operations import OperationContext, Output, Params, operation

JOBS_SETTING = "iam:OrganizationsAccessReportJobs"
_MAX_JOBS = 100

NO_ORGANIZATION = "The request was rejected because no organization is associated with your account."

# What Organizations answers an account that belongs to no organization.
NOT_IN_USE_CODE = "AWSOrganizationsNotInUseException"
NOT_IN_USE_MESSAGE = "Your account is not a member of an organization."


def _no_organization(context: OperationContext, params: Params) -> Output:
    raise OrganizationNotFound(NO_ORGANIZATION)


for _name in (
    "ListOrganizationsFeatures",
    "EnableOrganizationsRootCredentialsManagement",
    "DisableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions",
    "DisableOrganizationsRootSessions",
):
    operation("iam", _name)(_no_organization)


@operation("iam", "GenerateOrganizationsAccessReport")
def generate_organizations_access_report(context: OperationContext, params: Params) -> Output:
    job_id = str(uuid.UUID(bytes=context.runtime.random_bytes(16), version=4))
    now = context.runtime.now()
    account_id = context.caller.account_id
    with context.db.transaction() as unit:
        jobs: list[dict[str, Any]] = unit.settings.get(account_id, JOBS_SETTING) or []
        jobs.append({"job_id": job_id, "created_at": now.isoformat()})
        unit.settings.put(account_id, JOBS_SETTING, jobs[-_MAX_JOBS:])
    return {"JobId": job_id}


@operation("iam", "GetOrganizationsAccessReport")
def get_organizations_access_report(context: OperationContext, params: Params) -> Output:
    job_id = params["JobId"]
    with context.db.reading() as unit:
        jobs: list[dict[str, Any]] = unit.settings.get(context.caller.account_id, JOBS_SETTING) or []
    found = next((job for job in jobs if job["job_id"] == job_id.lower()), None)
    if found is None:
        raise NoSuchEntity(f"The job with ID {job_id} cannot be found.")
    created = datetime.fromisoformat(found["created_at"])
    return {
        "JobStatus": "FAILED",
        "JobCreationDate": created,
        "JobCompletionDate": created,
        "ErrorDetails": {"Code": NOT_IN_USE_CODE, "Message": NOT_IN_USE_MESSAGE},
    }
