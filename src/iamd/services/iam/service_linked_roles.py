"""Service-linked roles: created for a service, protected from ordinary edits.

A service-linked role is named ``AWSServiceRoleFor`` + a name AWS chose for the service
(``autoscaling.amazonaws.com`` -> ``AWSServiceRoleForAutoScaling``), optionally followed by
``_`` + a custom suffix for the services that allow several such roles. It lives under
``/aws-service-role/<service>/`` and trusts only that service. Ordinary role operations
refuse to change it (:func:`ensure_modifiable`); DeleteServiceLinkedRole deletes it.

AWS deletes these roles asynchronously and hands back a deletion task id. iamd deletes
synchronously, so a task always succeeded; the task id carries a value sealed under the
deployment's key and bound to the account, service and role, so only the ids this
deployment issued are known tasks and nothing has to be stored.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from iamd.protocol.errors import InvalidInput, NoSuchEntity
from iamd.services import identifiers, policy_sources
from iamd.services.crypto import SealError
from iamd.services.iam import roles
from iamd.services.iam.roles import ensure_modifiable
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.store.roles import RoleRecord

__all__ = ["ensure_modifiable", "role_name_for", "service_linked_path"]

_SERVICE_DOMAIN = ".amazonaws.com"
_TASK_PREFIX = "task/aws-service-role/"
_TASK_PURPOSE = "slr-deletion-task"


@dataclass(frozen=True)
class _Service:
    name: str  # what follows "AWSServiceRoleFor"
    custom_suffix: bool  # whether CreateServiceLinkedRole accepts a CustomSuffix
    policy: str | None = None  # the AWS managed policy (under /aws-service-role/) the role gets


# The names AWS gives the service-linked roles of well-known services, and the AWS managed
# policy the service attaches to its role.
_KNOWN: dict[str, _Service] = {
    "autoscaling.amazonaws.com": _Service("AutoScaling", True, "AutoScalingServiceRolePolicy"),
    "elasticbeanstalk.amazonaws.com": _Service("ElasticBeanstalk", False, "AWSElasticBeanstalkServiceRolePolicy"),
    "ecs.amazonaws.com": _Service("ECS", False, "AmazonECSServiceRolePolicy"),
    "es.amazonaws.com": _Service("AmazonElasticsearchService", False, "AmazonElasticsearchServiceRolePolicy"),
    "opensearchservice.amazonaws.com": _Service("AmazonOpenSearchService", False, "AmazonOpenSearchServiceRolePolicy"),
    "spot.amazonaws.com": _Service("EC2Spot", False, "AWSEC2SpotServiceRolePolicy"),
    "spotfleet.amazonaws.com": _Service("EC2SpotFleet", False, "AWSEC2SpotFleetServiceRolePolicy"),
    "ec2fleet.amazonaws.com": _Service("EC2Fleet", False, "AWSEC2FleetServiceRolePolicy"),
    "elasticloadbalancing.amazonaws.com": _Service("ElasticLoadBalancing", False, "AWSElasticLoadBalancingServiceRolePolicy"),
    "rds.amazonaws.com": _Service("RDS", False, "AmazonRDSServiceRolePolicy"),
    "redshift.amazonaws.com": _Service("Redshift", False, "AmazonRedshiftServiceLinkedRolePolicy"),
    "elasticache.amazonaws.com": _Service("ElastiCache", False, "ElastiCacheServiceRolePolicy"),
    "organizations.amazonaws.com": _Service("Organizations", False, "AWSOrganizationsServiceTrustPolicy"),
    "sso.amazonaws.com": _Service("SSO", False, "AWSSSOServiceRolePolicy"),
    "support.amazonaws.com": _Service("Support", False, "AWSSupportServiceRolePolicy"),
    "trustedadvisor.amazonaws.com": _Service("TrustedAdvisor", False, "AWSTrustedAdvisorServiceRolePolicy"),
    "access-analyzer.amazonaws.com": _Service("AccessAnalyzer", False, "AccessAnalyzerServiceRolePolicy"),
    "config.amazonaws.com": _Service("Config", False, "AWSConfigServiceRolePolicy"),
    "guardduty.amazonaws.com": _Service("AmazonGuardDuty", False, "AmazonGuardDutyServiceRolePolicy"),
    "securityhub.amazonaws.com": _Service("SecurityHub", False, "AWSSecurityHubServiceRolePolicy"),
    "inspector2.amazonaws.com": _Service("AmazonInspector2", False, "AmazonInspector2ServiceRolePolicy"),
    "macie.amazonaws.com": _Service("AmazonMacie", False, "AmazonMacieServiceRolePolicy"),
    "eks.amazonaws.com": _Service("AmazonEKS", False, "AmazonEKSServiceRolePolicy"),
    "eks-nodegroup.amazonaws.com": _Service("AmazonEKSNodegroup", False, "AWSServiceRoleForAmazonEKSNodegroup"),
    "eks-fargate.amazonaws.com": _Service("AmazonEKSForFargate", False, "AmazonEKSForFargateServiceRolePolicy"),
    "ssm.amazonaws.com": _Service("AmazonSSM", False, "AmazonSSMServiceRolePolicy"),
    "cloudtrail.amazonaws.com": _Service("CloudTrail", False, "CloudTrailServiceRolePolicy"),
    "backup.amazonaws.com": _Service("Backup", False, "AWSBackupServiceLinkedRolePolicyForBackup"),
    "kafka.amazonaws.com": _Service("Kafka", False, "KafkaServiceRolePolicy"),
    "apigateway.amazonaws.com": _Service("APIGateway", False, "APIGatewayServiceRolePolicy"),
    "ops.apigateway.amazonaws.com": _Service("APIGateway", False, "APIGatewayServiceRolePolicy"),
    "lex.amazonaws.com": _Service("LexBots", True, "LexBotPolicy"),
    "lexv2.amazonaws.com": _Service("LexV2Bots", True, "AmazonLexV2BotPolicy"),
    "elasticmapreduce.amazonaws.com": _Service("EMRCleanup", False, "AmazonEMRCleanupPolicy"),
    "dynamodb.application-autoscaling.amazonaws.com": _Service("ApplicationAutoScaling_DynamoDBTable", False, "AWSApplicationAutoscalingDynamoDBTablePolicy"),
    "ecs.application-autoscaling.amazonaws.com": _Service("ApplicationAutoScaling_ECSService", False, "AWSApplicationAutoscalingECSServicePolicy"),
    "custom-resource.application-autoscaling.amazonaws.com": _Service("ApplicationAutoScaling_CustomResource", True, "AWSApplicationAutoScalingCustomResourcePolicy"),
    "replication.dynamodb.amazonaws.com": _Service("DynamoDBReplication", False, "DynamoDBReplicationServiceRolePolicy"),
    "dax.amazonaws.com": _Service("DAX", False, "DAXServiceRolePolicy"),
    "transitgateway.amazonaws.com": _Service("VPCTransitGateway", False, "AWSVPCTransitGatewayServiceRolePolicy"),
    "globalaccelerator.amazonaws.com": _Service("GlobalAccelerator", False, "AWSGlobalAcceleratorSLRPolicy"),
    "compute-optimizer.amazonaws.com": _Service("ComputeOptimizer", False, "ComputeOptimizerServiceRolePolicy"),
    "servicequotas.amazonaws.com": _Service("ServiceQuotas", False, "ServiceQuotasServiceRolePolicy"),
    "events.amazonaws.com": _Service("CloudWatchEvents", False, "CloudWatchEventsServiceRolePolicy"),
    "delivery.logs.amazonaws.com": _Service("LogDelivery", False, "AWSServiceRoleForLogDeliveryPolicy"),
    "batch.amazonaws.com": _Service("Batch", False, "BatchServiceRolePolicy"),
    "elasticfilesystem.amazonaws.com": _Service("AmazonElasticFileSystem", False, "AmazonElasticFileSystemServiceRolePolicy"),
    "fsx.amazonaws.com": _Service("AmazonFSx", False, "AmazonFSxServiceRolePolicy"),
    "mq.amazonaws.com": _Service("AmazonMQ", False, "AmazonMQServiceRolePolicy"),
    "fms.amazonaws.com": _Service("FMS", False, "FMSServiceRolePolicy"),
}


def _derived_name(service: str) -> str:
    """A name in AWS's style for a service the table does not know.

    ``foo-bar.amazonaws.com`` -> ``FooBar``; a label of up to three letters is an acronym
    (``abc`` -> ``ABC``); several labels read from the most general one
    (``x.my-service.amazonaws.com`` -> ``MyServiceX``).
    """
    labels = service[: -len(_SERVICE_DOMAIN)].split(".")
    words: list[str] = []
    for label in reversed(labels):
        if len(label) <= 3 and label.isalnum():
            words.append(label.upper())
            continue
        words.extend(word[0].upper() + word[1:] for word in label.split("-") if word)
    return "".join(words)


def _service(service: str) -> _Service:
    known = _KNOWN.get(service.lower())
    if known is not None:
        return known
    prefix = service[: -len(_SERVICE_DOMAIN)] if service.lower().endswith(_SERVICE_DOMAIN) else ""
    if not prefix or prefix.startswith(".") or prefix.endswith(".") or ".." in prefix:
        raise InvalidInput(f"Service name {service} is not a valid service principal.")
    return _Service(_derived_name(service), True)


def _role_name(service: str, known: _Service, custom_suffix: str | None) -> str:
    name = "AWSServiceRoleFor" + known.name
    if custom_suffix is not None:
        if not known.custom_suffix:
            raise InvalidInput(f"Custom suffix is not allowed for {service}")
        name = f"{name}_{custom_suffix}"
    if len(name) > 64:
        raise InvalidInput(
            f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: "
            "Member must have length less than or equal to 64"
        )
    return name


def role_name_for(service: str, custom_suffix: str | None = None) -> str:
    """The name AWS gives the service-linked role of ``service`` (InvalidInput if it has none)."""
    return _role_name(service, _service(service), custom_suffix)


def service_policy_arn(service: str) -> str | None:
    """The AWS managed policy the service attaches to its role, when iamd knows it."""
    known = _KNOWN.get(service.lower())
    if known is None or known.policy is None:
        return None
    found = policy_sources.catalogue().get(known.policy)
    if found is None or found.path != policy_sources.SERVICE_ROLE_PATH:
        return None
    return f"arn:aws:iam::aws:policy{found.path}{found.name}"


def service_linked_path(service: str) -> str:
    return f"/aws-service-role/{service}/"


def trust_policy_for(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        },
        separators=(",", ":"),
    )


# -- deletion tasks ---------------------------------------------------------------------------

def _task_context(account_id: str, service: str, role_name: str) -> bytes:
    return f"{account_id}\n{service}\n{role_name}".encode()


def _deletion_task_id(context: OperationContext, service: str, role_name: str) -> str:
    sealed = context.box.seal(_TASK_PURPOSE, b"", context=_task_context(context.caller.account_id, service, role_name))
    token = base64.urlsafe_b64encode(sealed).decode().rstrip("=")
    return f"{_TASK_PREFIX}{service}/{role_name}/{token}"


def _check_deletion_task(context: OperationContext, task_id: str) -> None:
    """Raise unless ``task_id`` is a deletion task this deployment issued to this account."""
    parts = task_id[len(_TASK_PREFIX):].split("/") if task_id.startswith(_TASK_PREFIX) else []
    if len(parts) != 3 or not all(parts):
        raise InvalidInput(f"Invalid deletion task id: {task_id}")
    service, role_name, token = parts
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        context.box.open(_TASK_PURPOSE, sealed, context=_task_context(context.caller.account_id, service, role_name))
    except (binascii.Error, ValueError, SealError):
        raise NoSuchEntity(f"Deletion task {task_id} cannot be found.") from None


# -- operations ---------------------------------------------------------------------------------

@operation("iam", "CreateServiceLinkedRole")
def create_service_linked_role(context: OperationContext, params: Params) -> Output:
    service = params["AWSServiceName"]
    name = role_name_for(service, params.get("CustomSuffix"))
    policy_arn = service_policy_arn(service)
    with context.db.transaction() as unit:
        role = RoleRecord(
            id=identifiers.unique_id("role", context.runtime.random_bytes),
            account_id=context.caller.account_id,
            name=name,
            path=service_linked_path(service),
            trust_policy=trust_policy_for(service),
            max_session_duration=roles.DEFAULT_MAX_SESSION_DURATION,
            created_at=context.runtime.now(),
            description=params.get("Description") or None,
            service_linked_service=service,
        )
        taken = InvalidInput(f"Service role name {name} has been taken in this account, please try a different suffix.")
        roles.add_role(context, unit, role, [], taken)
        if policy_arn is not None:
            unit.attachments.attach(role.account_id, "role", role.id, policy_arn, role.created_at)
        return {"Role": roles.created_role_shape(context, role, [])}


@operation("iam", "DeleteServiceLinkedRole")
def delete_service_linked_role(context: OperationContext, params: Params) -> Output:
    name = params["RoleName"]
    with context.db.transaction() as unit:
        role = roles.get_role(context, unit, name)
        if role.service_linked_service is None:
            raise InvalidInput(f"Role {role.name} is not a service-linked role.")
        # The linked service would remove its own policies; the role takes them with it.
        unit.roles.purge_policies(role.id)
        unit.tags.remove_all("role", role.id)
        unit.roles.delete(role.id)
    return {"DeletionTaskId": _deletion_task_id(context, role.service_linked_service, role.name)}


@operation("iam", "GetServiceLinkedRoleDeletionStatus")
def get_service_linked_role_deletion_status(context: OperationContext, params: Params) -> Output:
    _check_deletion_task(context, params["DeletionTaskId"])
    return {"Status": "SUCCEEDED"}

