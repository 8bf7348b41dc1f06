"""The instance metadata tree: what a GET of each path answers.

EC2's conventions: a directory answers the names of its entries, one a line, those that
are directories themselves ending in ``/``; a directory may be asked for with or without
its final ``/``, and so may a leaf (botocore asks for
``placement/availability-zone/``). Everything else is ``404``.

The ``iam/`` directory exists when the instance has an instance profile.
``iam/info`` describes the profile (Code, LastUpdated, InstanceProfileArn,
InstanceProfileId); ``iam/security-credentials/`` names the profile's role (``404``
without one) and ``iam/security-credentials/ROLE`` holds its credentials (Code,
LastUpdated, Type ``AWS-HMAC``, AccessKeyId, SecretAccessKey, Token, Expiration). When
the role's trust policy does not let ``ec2.amazonaws.com`` assume it, both answer
``200`` with Code ``AssumeRoleUnauthorizedAccess`` and a Message, as EC2 does; SDKs
read that as "no credentials here". EC2 prints these documents with a two-space indent
and `` : `` between name and value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.imds import identity
from iamd.imds.credentials import Refused, RoleDelivery
from iamd.imds.instance import Instance
from iamd.protocol.errors import NoSuchEntity
from iamd.services.service_sessions import InstanceProfile

TEXT = "text/plain"
OCTETS = "application/octet-stream"
UNAUTHORIZED_CODE = "AssumeRoleUnauthorizedAccess"
TROUBLESHOOTING = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html"
    "#troubleshoot_iam-ec2_errors-info-doc"
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = TEXT


NOT_FOUND = Reply(404)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(fields: dict[str, Any]) -> Reply:
    return Reply(200, json.dumps(fields, indent=2, separators=(",", " : ")).encode())


def _listing(names: list[str]) -> Reply:
    return Reply(200, "\n".join(names).encode())


class InstanceMetadata:
    """Answers GETs for one instance.

    ``profile`` reads the instance profile as it is now (None without one, or once it
    is deleted); ``delivery`` hands out the role's credentials."""

    def __init__(
        self,
        instance: Instance,
        profile: Callable[[], InstanceProfile | None],
        delivery: RoleDelivery,
        signing_key: rsa.RSAPrivateKey,
    ) -> None:
        self.instance = instance
        self._profile = profile
        self._delivery = delivery
        self._signing_key = signing_key
        self._document = identity.document(instance)
        self._signature = identity.sign(signing_key, self._document)

    def get(self, path: str, now: datetime) -> Reply:
        if path in ("", "/"):
            return _listing(["latest"])
        parts = [part for part in path.split("/") if part]
        if parts[0] != "latest" or any(part in (".", "..") for part in parts):
            return NOT_FOUND
        rest = parts[1:]
        if not rest:
            return _listing(["dynamic", "meta-data"] + (["user-data"] if self.instance.user_data is not None else []))
        if rest == ["user-data"]:
            if self.instance.user_data is None:
                return NOT_FOUND
            return Reply(200, self.instance.user_data, OCTETS)
        if rest[0] == "dynamic":
            return self._dynamic(rest[1:])
        if rest[0] == "meta-data":
            return self._meta_data(rest[1:], now)
        return NOT_FOUND

    def _dynamic(self, rest: list[str]) -> Reply:
        if not rest:
            return _listing(["instance-identity/"])
        if rest[0] != "instance-identity" or len(rest) > 2:
            return NOT_FOUND
        if len(rest) == 1:
            return _listing(["document", "signature"])
        if rest[1] == "document":
            return Reply(200, self._document.encode())
        if rest[1] == "signature":
            return Reply(200, self._signature.encode())
        return NOT_FOUND

    def _meta_data(self, rest: list[str], now: datetime) -> Reply:
        instance = self.instance
        leaves = {
            "ami-id": instance.image_id,
            "hostname": instance.hostname,
            "instance-id": instance.instance_id,
            "instance-type": instance.instance_type,
            "local-hostname": instance.hostname,
            "local-ipv4": instance.local_ipv4,
            "mac": instance.mac,
        }
        placement = {"availability-zone": instance.availability_zone, "region": instance.region}
        if not rest:
            profile = self._profile()
            names = [*leaves, "placement/"] + (["iam/"] if profile is not None else [])
            return _listing(sorted(names))
        head, tail = rest[0], rest[1:]
        if head in leaves and not tail:
            return Reply(200, leaves[head].encode())
        if head == "placement":
            if not tail:
                return _listing(sorted(placement))
            if len(tail) == 1 and tail[0] in placement:
                return Reply(200, placement[tail[0]].encode())
            return NOT_FOUND
        if head == "iam":
            return self._iam(tail, now)
        return NOT_FOUND

    def _iam(self, rest: list[str], now: datetime) -> Reply:
        profile = self._profile()
        if profile is None:
            return NOT_FOUND
        if not rest:
            return _listing(["info", "security-credentials/"])
        if rest == ["info"]:
            return self._info(profile, now)
        if rest[0] != "security-credentials" or len(rest) > 2 or profile.role is None:
            return NOT_FOUND
        role = profile.role
        if len(rest) == 1:
            return _listing([role.name])
        if rest[1] != role.name:
            return NOT_FOUND
        delivered = self._credentials(profile, now)
        if delivered is None:
            return NOT_FOUND
        if isinstance(delivered, Refused):
            return _json(self._refusal(delivered))
        return _json({
            "Code": "Success",
            "LastUpdated": _time(delivered.last_updated),
            "Type": "AWS-HMAC",
            "AccessKeyId": delivered.access_key_id,
            "SecretAccessKey": delivered.secret_access_key,
            "Token": delivered.token,
            "Expiration": _time(delivered.expiration),
        })

    def _credentials(self, profile: InstanceProfile, now: datetime) -> Any:
        assert profile.role is not None
        try:
            return self._delivery.credentials(profile.role.id, profile.role.name, now)
        except NoSuchEntity:
            return None  # The role went away between the two reads.

    def _info(self, profile: InstanceProfile, now: datetime) -> Reply:
        last_updated = self.instance.launched_at
        if profile.role is not None:
            delivered = self._credentials(profile, now)
            if isinstance(delivered, Refused):
                return _json(self._refusal(delivered))
            if delivered is not None:
                last_updated = delivered.last_updated
        return _json({
            "Code": "Success",
            "LastUpdated": _time(last_updated),
            "InstanceProfileArn": profile.arn,
            "InstanceProfileId": profile.record.id,
        })

    @staticmethod
    def _refusal(refused: Refused) -> dict[str, Any]:
        return {
            "Code": UNAUTHORIZED_CODE,
            "Message": f"EC2 cannot assume the role {refused.role_name}.  Please see documentation at {TROUBLESHOOTING}.",
            "LastUpdated": _time(refused.last_updated),
        }
