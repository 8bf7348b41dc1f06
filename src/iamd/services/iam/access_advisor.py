"""Access advisor: when users, groups, roles and policies last used each AWS service.

GenerateServiceLastAccessedDetails computes the whole report at once, synchronously, and
answers a JobId (a random UUID); GetServiceLastAccessedDetails and
GetServiceLastAccessedDetailsWithEntities read that snapshot, so a report does not move
while it is paged through, as AWS's do not. ListPoliciesGrantingServiceAccess is
computed on each call.

Which services a report lists: those the entity's permissions policies allow (AWS
ignores boundaries, session and resource policies here). A statement allows a service
when one of its actions names the service (``s3:Get*``), ``*`` allows every service, a
``NotAction`` allows every service it does not exclude whole (``iam:*``), and an
unconditional ``Deny`` of a whole service on ``*`` takes it away. The services AWS knows
are taken from the actions of the AWS managed policies (plus IAM and STS), which name
some 440 service namespaces. When each was last used comes from ``service_last_accessed``,
which the audit trail fills.

Reports are computed when generated and stored in ``access_advisor_jobs`` (the newest
``_MAX_JOBS`` of each account), so any node sharing the database answers for a JobId.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from iamd import policy
from iamd.policy.matching import glob_tokens, match_glob
from iamd.protocol.errors import InvalidInput, NoSuchEntity
from iamd.services import arns
from iamd.services.arns import arn_in_partition
from iamd.services.authz import ACTIONS
from iamd.services.iam.common import no_such_entity, paged
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page_sorted
from iamd.services.policy_sources import (
    PolicyRef,
    catalogue,
    default_document,
    effective_documents,
    entity_policies,
    not_found,
    resolve_policy,
)
from iamd.store import UnitOfWork
from iamd.store.reports import LastAccess

_STORED_PARTITION = "aws"
_MAX_JOBS = 2000
_MEMBERS_PAGE = 1000

# The services whose actions AWS tracks one by one (action last accessed information).
TRACKED_SERVICES = frozenset({"iam", "ec2", "lambda", "s3"})

# The names AWS shows for the services most policies mention; the others show their
# namespace.
SERVICE_NAMES = {
    "access-analyzer": "IAM Access Analyzer",
    "acm": "AWS Certificate Manager",
    "acm-pca": "AWS Private Certificate Authority",
    "apigateway": "Amazon API Gateway",
    "application-autoscaling": "Application Auto Scaling",
    "athena": "Amazon Athena",
    "autoscaling": "Amazon EC2 Auto Scaling",
    "backup": "AWS Backup",
    "batch": "AWS Batch",
    "bedrock": "Amazon Bedrock",
    "budgets": "AWS Budget Service",
    "ce": "AWS Cost Explorer Service",
    "cloud9": "AWS Cloud9",
    "cloudformation": "AWS CloudFormation",
    "cloudfront": "Amazon CloudFront",
    "cloudhsm": "AWS CloudHSM",
    "cloudshell": "AWS CloudShell",
    "cloudtrail": "AWS CloudTrail",
    "cloudwatch": "Amazon CloudWatch",
    "codeartifact": "AWS CodeArtifact",
    "codebuild": "AWS CodeBuild",
    "codecommit": "AWS CodeCommit",
    "codedeploy": "AWS CodeDeploy",
    "codepipeline": "AWS CodePipeline",
    "cognito-identity": "Amazon Cognito Identity",
    "cognito-idp": "Amazon Cognito User Pools",
    "cognito-sync": "Amazon Cognito Sync",
    "config": "AWS Config",
    "datasync": "AWS DataSync",
    "dms": "AWS Database Migration Service",
    "ds": "AWS Directory Service",
    "dynamodb": "Amazon DynamoDB",
    "ec2": "Amazon EC2",
    "ecr": "Amazon Elastic Container Registry",
    "ecs": "Amazon Elastic Container Service",
    "eks": "Amazon Elastic Kubernetes Service",
    "elasticache": "Amazon ElastiCache",
    "elasticbeanstalk": "AWS Elastic Beanstalk",
    "elasticfilesystem": "Amazon Elastic File System",
    "elasticloadbalancing": "Elastic Load Balancing",
    "elasticmapreduce": "Amazon Elastic MapReduce",
    "es": "Amazon OpenSearch Service",
    "events": "Amazon EventBridge",
    "firehose": "Amazon Kinesis Firehose",
    "glacier": "Amazon S3 Glacier",
    "glue": "AWS Glue",
    "guardduty": "Amazon GuardDuty",
    "health": "AWS Health APIs and Notifications",
    "iam": "AWS Identity and Access Management",
    "inspector": "Amazon Inspector",
    "inspector2": "Amazon Inspector2",
    "kafka": "Amazon Managed Streaming for Apache Kafka",
    "kinesis": "Amazon Kinesis",
    "kms": "AWS Key Management Service",
    "lakeformation": "AWS Lake Formation",
    "lambda": "AWS Lambda",
    "lightsail": "Amazon Lightsail",
    "logs": "Amazon CloudWatch Logs",
    "macie2": "Amazon Macie",
    "mq": "Amazon MQ",
    "organizations": "AWS Organizations",
    "pricing": "AWS Price List",
    "quicksight": "Amazon QuickSight",
    "ram": "AWS Resource Access Manager",
    "rds": "Amazon RDS",
    "redshift": "Amazon Redshift",
    "resource-groups": "AWS Resource Groups",
    "route53": "Amazon Route 53",
    "route53domains": "Amazon Route 53 Domains",
    "s3": "Amazon S3",
    "sagemaker": "Amazon SageMaker",
    "secretsmanager": "AWS Secrets Manager",
    "securityhub": "AWS Security Hub",
    "servicecatalog": "AWS Service Catalog",
    "servicequotas": "Service Quotas",
    "ses": "Amazon SES",
    "shield": "AWS Shield",
    "sns": "Amazon SNS",
    "sqs": "Amazon SQS",
    "ssm": "AWS Systems Manager",
    "sso": "AWS IAM Identity Center",
    "states": "AWS Step Functions",
    "storagegateway": "AWS Storage Gateway",
    "sts": "AWS Security Token Service",
    "support": "AWS Support",
    "tag": "Amazon Resource Group Tagging API",
    "trustedadvisor": "AWS Trusted Advisor",
    "waf": "AWS WAF",
    "wafv2": "AWS WAF V2",
    "xray": "AWS X-Ray",
}

_NAMESPACE = re.compile(r"[a-z0-9-]+")
_ENTITY_KINDS = ("user", "group", "role", "policy")
_ENTITY_TYPES = {"user": "USER", "role": "ROLE", "group": "GROUP"}


def service_name(namespace: str) -> str:
    return SERVICE_NAMES.get(namespace, namespace)


# -- the services AWS knows ----------------------------------------------------------------

@cache
def known_actions() -> dict[str, frozenset[str]]:
    """Every service namespace iamd knows, with the action names it knows of each.

    Taken from the actions named in AWS's managed policies and iamd's own IAM and STS
    operations: the catalogue names almost every service and, for the services AWS
    tracks action by action, most of their actions.
    """
    found: dict[str, set[str]] = {}

    def note(action: str) -> None:
        service, _, name = action.partition(":")
        service = service.lower()
        if not name or not _NAMESPACE.fullmatch(service):
            return
        names = found.setdefault(service, set())
        if "*" not in name and "?" not in name:
            names.add(name)

    for entry in catalogue().values():
        statements = json.loads(entry.document).get("Statement", [])
        for statement in [statements] if isinstance(statements, dict) else statements:
            for member in ("Action", "NotAction"):
                actions = statement.get(member, [])
                for action in [actions] if isinstance(actions, str) else actions:
                    note(action)
    for spec in ACTIONS.values():
        note(spec.action)
    return {service: frozenset(names) for service, names in found.items()}


def _like(pattern: str, value: str) -> bool:
    # The policy engine's own wildcard matching (linear time), as Action elements match.
    return match_glob(glob_tokens(pattern), value, ignore_case=True)


def _services_named(pattern: str, namespaces: frozenset[str]) -> set[str]:
    """The namespaces an Action pattern names some action of."""
    if pattern.strip("*") == "":
        return set(namespaces)
    if ":" not in pattern:
        return {ns for ns in namespaces if _like(pattern, ns + ":x")}
    service = pattern.split(":", 1)[0]
    if "*" not in service and "?" not in service:
        return {service.lower()} & namespaces
    return {ns for ns in namespaces if _like(service, ns)}


def _services_covered(pattern: str, namespaces: frozenset[str]) -> set[str]:
    """The namespaces an Action pattern names every action of (``*``, ``iam:*``)."""
    if pattern.strip("*") == "":
        return set(namespaces)
    service, _, action = pattern.partition(":")
    if action.strip("*") != "" or not action:
        return set()
    return _services_named(service + ":x", namespaces)


def _unconditional_on_everything(statement: policy.Statement) -> bool:
    return not statement.conditions and statement.resources is not None and "*" in statement.resources


def _allowed_services(statements: list[policy.Statement], namespaces: frozenset[str]) -> set[str]:
    allowed: set[str] = set()
    for st in statements:
        if not st.is_allow:
            continue
        if st.actions is not None:
            for pattern in st.actions:
                allowed |= _services_named(pattern, namespaces)
        elif st.not_actions is not None:
            excluded: set[str] = set()
            for pattern in st.not_actions:
                excluded |= _services_covered(pattern, namespaces)
            allowed |= namespaces - excluded
    return allowed


def _denied_services(statements: list[policy.Statement], namespaces: frozenset[str]) -> set[str]:
    denied: set[str] = set()
    for st in statements:
        if st.is_allow or not _unconditional_on_everything(st):
            continue
        if st.actions is not None:
            for pattern in st.actions:
                denied |= _services_covered(pattern, namespaces)
        elif st.not_actions is not None:
            spared: set[str] = set()
            for pattern in st.not_actions:
                spared |= _services_named(pattern, namespaces)
            denied |= namespaces - spared
    return denied


def _statements(documents: list[tuple[str, str]]) -> list[policy.Statement]:
    statements: list[policy.Statement] = []
    for name, document in documents:
        try:
            parsed = policy.parse(document, kind="identity", name=name, max_size=None, strict=False)
        except policy.MalformedPolicyDocument:
            continue  # A stored document that no longer parses grants nothing.
        statements.extend(parsed.statements)
    return statements


def _allowed_actions(statements: list[policy.Statement], service: str, candidates: set[str]) -> list[str]:
    """The tracked actions of a service the policies allow (the engine's action matching)."""
    allowed = []
    for name in sorted(candidates, key=str.lower):
        action = f"{service}:{name}".lower()
        if any(st.is_allow and st.action_matches(action) for st in statements) and not any(
            not st.is_allow and _unconditional_on_everything(st) and st.action_matches(action) for st in statements
        ):
            allowed.append(name)
    return allowed


# -- the jobs --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Entity:
    """A user or role whose accesses a report counts (ARN in the ``aws`` partition)."""

    kind: str
    id: str
    name: str
    path: str
    arn: str


@dataclass(frozen=True)
class Job:
    job_id: str
    account_id: str
    granularity: str
    target_kind: str
    created_at: datetime
    completed_at: datetime
    services: tuple[str, ...]  # sorted namespaces the policies allow
    tracked_actions: dict[str, tuple[str, ...]]  # ACTION_LEVEL only
    entities: tuple[Entity, ...]
    accesses: tuple[LastAccess, ...]


def _job_to_json(job: Job) -> str:
    return json.dumps({
        "job_id": job.job_id, "account_id": job.account_id, "granularity": job.granularity,
        "target_kind": job.target_kind, "created_at": job.created_at.isoformat(),
        "completed_at": job.completed_at.isoformat(), "services": list(job.services),
        "tracked_actions": {k: list(v) for k, v in job.tracked_actions.items()},
        "entities": [[e.kind, e.id, e.name, e.path, e.arn] for e in job.entities],
        "accesses": [[a.entity_arn, a.service_namespace, a.action_name, a.last_authenticated.isoformat(),
                      a.region, a.authenticated_entity] for a in job.accesses],
    })


def _job_from_json(text: str) -> Job:
    raw = json.loads(text)
    return Job(
        job_id=raw["job_id"], account_id=raw["account_id"], granularity=raw["granularity"],
        target_kind=raw["target_kind"], created_at=datetime.fromisoformat(raw["created_at"]),
        completed_at=datetime.fromisoformat(raw["completed_at"]), services=tuple(raw["services"]),
        tracked_actions={k: tuple(v) for k, v in raw["tracked_actions"].items()},
        entities=tuple(Entity(*e) for e in raw["entities"]),
        accesses=tuple(
            LastAccess(a[0], a[1], a[2], datetime.fromisoformat(a[3]), a[4], a[5]) for a in raw["accesses"]
        ),
    )


def _job_id(context: OperationContext) -> str:
    return str(uuid.UUID(bytes=context.runtime.random_bytes(16), version=4))


def _find_job(context: OperationContext, job_id: str) -> Job:
    with context.db.reading() as unit:
        found = unit.reports.job(job_id.lower())
    if found is None or found[0] != context.caller.account_id:
        raise NoSuchEntity(f"The job with ID {job_id} cannot be found.")
    return _job_from_json(found[1])


# -- the entity an ARN names ----------------------------------------------------------------

@dataclass(frozen=True)
class _Target:
    kind: str  # user, group, role, policy
    id: str
    name: str
    path: str
    policy: PolicyRef | None = None


def _split_arn(arn: str) -> tuple[str, str, str]:
    """(account, resource type, rest) of an IAM ARN, or InvalidInput."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or parts[2] != "iam" or parts[3] != "":
        raise InvalidInput(f"ARN {arn} is not valid.")
    kind, _, rest = parts[5].partition("/")
    if not rest or rest.endswith("/"):
        raise InvalidInput(f"ARN {arn} is not valid.")
    return parts[4], kind, rest


def _resolve(unit: UnitOfWork, context: OperationContext, arn: str, kinds: tuple[str, ...]) -> _Target:
    account_id, kind, rest = _split_arn(arn)
    if kind not in kinds:
        raise InvalidInput(f"ARN {arn} is not valid.")
    if kind == "policy":
        ref = resolve_policy(unit, context.caller.account_id, arn, partition=context.caller.partition)
        if ref is None:
            raise not_found(arn)
        return _Target("policy", ref.policy_id, ref.name, ref.path, ref)
    cut = rest.rfind("/") + 1
    path, name = "/" + rest[:cut], rest[cut:]
    info = unit.lookup.by_name(account_id, kind, name) if account_id == context.caller.account_id else None
    if info is None or info.path != path:
        raise no_such_entity(kind, name)
    return _Target(kind, info.id, info.name, info.path)


def _entity(account_id: str, kind: str, entity_id: str, name: str, path: str) -> Entity:
    return Entity(kind, entity_id, name, path, arns.iam_arn(_STORED_PARTITION, account_id, kind, path, name))


def _group_members(unit: UnitOfWork, account_id: str, group_id: str) -> list[Entity]:
    members: list[Entity] = []
    after: str | None = None
    while True:
        found = unit.groups.members(group_id, after, _MEMBERS_PAGE)
        members.extend(_entity(account_id, "user", u.id, u.name, u.path) for u in found)
        if len(found) < _MEMBERS_PAGE:
            return members
        after = found[-1].name.lower()


def _job_entities(unit: UnitOfWork, account_id: str, target: _Target) -> list[Entity]:
    """The users and roles whose accesses count for the report's entity."""
    if target.kind in ("user", "role"):
        return [_entity(account_id, target.kind, target.id, target.name, target.path)]
    if target.kind == "group":
        return _group_members(unit, account_id, target.id)
    assert target.policy is not None
    found: dict[str, Entity] = {}
    for ref in unit.attachments.attached_entities(account_id, target.policy.arn):
        if ref.kind == "group":
            for member in _group_members(unit, account_id, ref.id):
                found.setdefault(member.arn, member)
        else:
            entity = _entity(account_id, ref.kind, ref.id, ref.name, ref.path)
            found.setdefault(entity.arn, entity)
    return sorted(found.values(), key=lambda e: (e.kind, e.name.lower()))


def _documents(unit: UnitOfWork, account_id: str, target: _Target) -> list[tuple[str, str]]:
    if target.policy is not None:
        return [(target.policy.arn, default_document(unit, target.policy))]
    return entity_policies(unit, account_id, target.kind, target.id).identity


@operation("iam", "GenerateServiceLastAccessedDetails")
def generate_service_last_accessed_details(context: OperationContext, params: Params) -> Output:
    account_id = context.caller.account_id
    granularity = params.get("Granularity", "SERVICE_LEVEL")
    created = context.runtime.now()
    with context.db.reading() as unit:
        target = _resolve(unit, context, params["Arn"], _ENTITY_KINDS)
        documents = _documents(unit, account_id, target)
        entities = _job_entities(unit, account_id, target)
        accesses = unit.reports.last_accesses(account_id, [e.arn for e in entities])
    statements = _statements(documents)
    namespaces = frozenset(known_actions())
    services = sorted(_allowed_services(statements, namespaces) - _denied_services(statements, namespaces))
    tracked: dict[str, tuple[str, ...]] = {}
    if granularity == "ACTION_LEVEL":
        for service in TRACKED_SERVICES.intersection(services):
            candidates = set(known_actions().get(service, ()))
            candidates.update(_action_name(a) for a in accesses if a.service_namespace == service and a.action_name)
            tracked[service] = tuple(_allowed_actions(statements, service, candidates))
    job = Job(
        job_id=_job_id(context),
        account_id=account_id,
        granularity=granularity,
        target_kind=target.kind,
        created_at=created,
        completed_at=context.runtime.now(),
        services=tuple(services),
        tracked_actions=tracked,
        entities=tuple(entities),
        accesses=tuple(accesses),
    )
    with context.db.transaction() as unit:
        # Reports are cached nowhere, so storing one leaves other caches alone.
        unit.reports.add_job(
            job.job_id, account_id, job.created_at, _job_to_json(job), _MAX_JOBS
        )
    return {"JobId": job.job_id}


def _action_name(access: LastAccess) -> str:
    # The audit trail may record ``iam:GetUser`` or ``GetUser``; AWS shows ``GetUser``.
    return access.action_name.split(":", 1)[-1]


# -- reading a job ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Latest:
    when: datetime
    entity_arn: str
    region: str | None


def _latest_by_entity(job: Job, service: str) -> dict[str, _Latest]:
    """Each entity's last use of a service: its service-level row, else its latest action."""
    service_level: dict[str, _Latest] = {}
    action_level: dict[str, _Latest] = {}
    for access in job.accesses:
        if access.service_namespace != service:
            continue
        into = action_level if access.action_name else service_level
        current = into.get(access.entity_arn)
        if current is None or access.last_authenticated > current.when:
            into[access.entity_arn] = _Latest(access.last_authenticated, access.entity_arn, access.region)
    return {**action_level, **service_level}


def _tracked_shape(context: OperationContext, job: Job, service: str) -> list[dict[str, Any]]:
    latest: dict[str, LastAccess] = {}
    for access in job.accesses:
        if access.service_namespace != service or not access.action_name:
            continue
        name = _action_name(access).lower()
        current = latest.get(name)
        if current is None or access.last_authenticated > current.last_authenticated:
            latest[name] = access
    shapes = []
    for name in job.tracked_actions.get(service, ()):
        shape: dict[str, Any] = {"ActionName": name}
        found = latest.get(name.lower())
        if found is not None:
            shape["LastAccessedEntity"] = arn_in_partition(found.entity_arn, context.caller.partition)
            shape["LastAccessedTime"] = found.last_authenticated
            if found.region:
                shape["LastAccessedRegion"] = found.region
        shapes.append(shape)
    return shapes


def _service_shape(context: OperationContext, job: Job, service: str) -> dict[str, Any]:
    by_entity = _latest_by_entity(job, service)
    shape: dict[str, Any] = {"ServiceName": service_name(service), "ServiceNamespace": service}
    if by_entity:
        last = max(by_entity.values(), key=lambda latest: (latest.when, latest.entity_arn))
        shape["LastAuthenticated"] = last.when
        shape["LastAuthenticatedEntity"] = arn_in_partition(last.entity_arn, context.caller.partition)
        if last.region:
            shape["LastAuthenticatedRegion"] = last.region
    shape["TotalAuthenticatedEntities"] = len(by_entity)
    if job.granularity == "ACTION_LEVEL" and service in TRACKED_SERVICES:
        shape["TrackedActionsLastAccessed"] = _tracked_shape(context, job, service)
    return shape


def _job_header(job: Job) -> dict[str, Any]:
    return {"JobStatus": "COMPLETED", "JobCreationDate": job.created_at, "JobCompletionDate": job.completed_at}


@operation("iam", "GetServiceLastAccessedDetails")
def get_service_last_accessed_details(context: OperationContext, params: Params) -> Output:
    job = _find_job(context, params["JobId"])
    found, marker = page_sorted(params, job.services, lambda service: service)
    output = _job_header(job)
    output["JobType"] = job.granularity
    return paged(output, "ServicesLastAccessed", [_service_shape(context, job, s) for s in found], marker)


@operation("iam", "GetServiceLastAccessedDetailsWithEntities")
def get_service_last_accessed_details_with_entities(context: OperationContext, params: Params) -> Output:
    job = _find_job(context, params["JobId"])
    service = params["ServiceNamespace"]
    by_entity = _latest_by_entity(job, service.lower())
    # The most recent access first, as AWS sorts them; entities that never used it last.
    ordered = sorted(
        job.entities,
        key=lambda e: (
            -(by_entity[e.arn].when.timestamp()) if e.arn in by_entity else float("inf"),
            e.name.lower(),
            e.kind,
        ),
    )
    positions = [f"{index:08d}" for index in range(len(ordered))]
    found, marker = page_sorted(params, positions, lambda position: position)
    details = []
    for position in found:
        entity = ordered[int(position)]
        detail: dict[str, Any] = {
            "EntityInfo": {
                "Arn": arn_in_partition(entity.arn, context.caller.partition),
                "Name": entity.name,
                "Type": _ENTITY_TYPES[entity.kind],
                "Id": entity.id,
                "Path": entity.path,
            }
        }
        if entity.arn in by_entity:
            detail["LastAuthenticated"] = by_entity[entity.arn].when
        details.append(detail)
    return paged(_job_header(job), "EntityDetailsList", details, marker)


# -- which policies grant a service -----------------------------------------------------------

@dataclass(frozen=True)
class _Granting:
    shape: dict[str, Any]
    statements: list[policy.Statement]


def _granting_policies(context: OperationContext, unit: UnitOfWork, target: _Target) -> list[_Granting]:
    account_id = context.caller.account_id
    owners: list[tuple[str, str, str]] = [(target.kind, target.id, target.name)]
    if target.kind == "user":
        for group_id in unit.lookup.group_ids_of_user(target.id):
            group = unit.lookup.by_id("group", group_id)
            if group is not None:
                owners.append(("group", group.id, group.name))
    granting: list[_Granting] = []
    seen_managed: set[str] = set()
    for kind, entity_id, entity_name in owners:
        for name, document in effective_documents(unit, account_id, kind, entity_id):
            if name.startswith("arn:"):
                if name in seen_managed:
                    continue
                seen_managed.add(name)
                shape = {
                    "PolicyName": name.rsplit("/", 1)[-1],
                    "PolicyType": "MANAGED",
                    "PolicyArn": arn_in_partition(name, context.caller.partition),
                }
            else:
                shape = {
                    "PolicyName": name,
                    "PolicyType": "INLINE",
                    "EntityType": _ENTITY_TYPES[kind],
                    "EntityName": entity_name,
                }
            granting.append(_Granting(shape, _statements([(name, document)])))
    return granting


@operation("iam", "ListPoliciesGrantingServiceAccess")
def list_policies_granting_service_access(context: OperationContext, params: Params) -> Output:
    requested = list(dict.fromkeys(params["ServiceNamespaces"]))
    with context.db.reading() as unit:
        target = _resolve(unit, context, params["Arn"], ("user", "group", "role"))
        granting = _granting_policies(context, unit, target)
    # Only the namespaces asked about matter, so the catalogue of services is not needed
    # (this runs on the event loop, as every List* does).
    namespaces = frozenset(ns.lower() for ns in requested)
    grants = [
        _allowed_services(g.statements, namespaces) - _denied_services(g.statements, namespaces) for g in granting
    ]
    entries = [
        {
            "ServiceNamespace": namespace,
            "Policies": [g.shape for g, services in zip(granting, grants, strict=True) if namespace.lower() in services],
        }
        for namespace in requested
    ]
    return {"PoliciesGrantingServiceAccess": entries, "IsTruncated": False}
