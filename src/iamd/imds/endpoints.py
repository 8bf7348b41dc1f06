"""Putting an endpoint together from the store: which instance or task, which role."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

from iamd.imds import identity
from iamd.imds.app import MetadataApp
from iamd.imds.container import ContainerCredentialsApp
from iamd.imds.credentials import LIFETIME, RoleDelivery
from iamd.imds.instance import DEFAULT_INSTANCE_TYPE, new_instance
from iamd.imds.metadata import InstanceMetadata
from iamd.imds.tokens import TokenIssuer
from iamd.protocol.errors import NoSuchEntity
from iamd.services import service_sessions
from iamd.services.crypto import SecretBox
from iamd.services.partitions import partition_for_region
from iamd.services.runtime import Runtime
from iamd.store import Database


def instance_endpoint(
    db: Database,
    box: SecretBox,
    runtime: Runtime,
    *,
    instance_profile: str,
    account_id: str | None,
    key_path: Path,
    region: str = "us-east-1",
    instance_type: str = DEFAULT_INSTANCE_TYPE,
    instance_id: str | None = None,
    user_data: bytes | None = None,
    v2_only: bool = False,
    record: bool = True,
    lifetime: timedelta = LIFETIME,
    require_profile: bool = True,
    default_account: str | None = None,
) -> MetadataApp:
    """The metadata endpoint of a new instance launched with ``instance_profile`` (a name
    or ARN); raises ``NoSuchEntity`` when there is no such profile.

    The profile is read anew for every request, so a role added, swapped or removed shows
    at once, as on EC2. With ``require_profile=False`` a profile that does not exist yet
    is no error (``iamd serve --ephemeral --imds`` starts before anything is created):
    the instance has no ``iam/`` until it is made, in ``account_id``, else
    ``default_account``, else the store's only account."""
    try:
        found = service_sessions.find_instance_profile(db, instance_profile, account_id, region)
        account, name = found.record.account_id, found.record.name
    except NoSuchEntity:
        if require_profile:
            raise
        given_account, name = service_sessions.profile_reference(instance_profile, account_id)
        account = given_account or default_account or service_sessions.sole_account(db)
    instance = new_instance(
        runtime.random_bytes, account_id=account, launched_at=runtime.now(), region=region,
        instance_type=instance_type, instance_id=instance_id, user_data=user_data,
    )

    def start(role_name: str, seconds: int) -> service_sessions.ServiceRoleSession:
        return service_sessions.start_session(
            db, box, runtime, account_id=instance.account_id, role_name=role_name,
            service=service_sessions.EC2, session_name=instance.instance_id, seconds=seconds,
            region=region, record=record,
        )

    metadata = InstanceMetadata(
        instance,
        partial(service_sessions.instance_profile, db, account, name, region),
        RoleDelivery(start, lifetime=lifetime),
        identity.load_or_create_key(key_path),
    )
    return MetadataApp(metadata, TokenIssuer(instance.instance_id, runtime.random_bytes), runtime.now, v2_only=v2_only)


def task_arn(region: str, account_id: str, task_id: str, cluster: str = "default") -> str:
    return f"arn:{partition_for_region(region)}:ecs:{region}:{account_id}:task/{cluster}/{task_id}"


def container_endpoint(
    db: Database,
    box: SecretBox,
    runtime: Runtime,
    *,
    role_name: str,
    account_id: str | None,
    authorization_token: str,
    region: str = "us-east-1",
    record: bool = True,
    lifetime: timedelta = LIFETIME,
) -> ContainerCredentialsApp:
    """The credentials endpoint of a new ECS task whose task role is ``role_name``; the
    task id (32 hexadecimal digits, as ECS's) is the role session's name."""
    account = service_sessions.find_role_account(db, role_name, account_id)
    task_id = runtime.random_bytes(16).hex()
    arn = task_arn(region, account, task_id)

    def start(name: str, seconds: int) -> service_sessions.ServiceRoleSession:
        return service_sessions.start_session(
            db, box, runtime, account_id=account, role_name=name, service=service_sessions.ECS_TASKS,
            session_name=task_id, seconds=seconds, region=region, source_arn=arn, record=record,
        )

    return ContainerCredentialsApp(role_name, RoleDelivery(start, lifetime=lifetime), authorization_token, runtime.now)

