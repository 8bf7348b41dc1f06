"""The simulated EC2 instance: the identity its metadata describes.

EC2's formats: instance ids are ``i-`` and 17 hexadecimal digits, AMI ids ``ami-`` and
17; the private DNS name of ``10.1.2.3`` is ``ip-10-1-2-3.ec2.internal`` in us-east-1 and
``ip-10-1-2-3.REGION.compute.internal`` elsewhere; an availability zone is its region
and a letter. The private address is drawn from the default VPC's range (172.31.0.0/16)
and the MAC address is a locally administered one, as EC2's are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

INSTANCE_ID = re.compile(r"i-[0-9a-f]{8}(?:[0-9a-f]{9})?")
DEFAULT_INSTANCE_TYPE = "t3.micro"


@dataclass(frozen=True)
class Instance:
    """What the metadata service says about its instance."""

    instance_id: str
    account_id: str
    region: str
    availability_zone: str
    image_id: str
    instance_type: str
    local_ipv4: str
    mac: str
    launched_at: datetime
    architecture: str = "x86_64"
    user_data: bytes | None = None

    @property
    def hostname(self) -> str:
        name = "ip-" + self.local_ipv4.replace(".", "-")
        if self.region == "us-east-1":
            return f"{name}.ec2.internal"
        return f"{name}.{self.region}.compute.internal"


def new_instance(
    random_bytes: Callable[[int], bytes],
    *,
    account_id: str,
    launched_at: datetime,
    region: str = "us-east-1",
    instance_type: str = DEFAULT_INSTANCE_TYPE,
    instance_id: str | None = None,
    user_data: bytes | None = None,
) -> Instance:
    """A freshly "launched" instance; ids and addresses come from ``random_bytes``."""
    if instance_id is not None and not INSTANCE_ID.fullmatch(instance_id):
        raise ValueError(f"`{instance_id}` is not an EC2 instance id (i- and 17 hexadecimal digits).")
    address = random_bytes(2)
    mac = bytearray(random_bytes(6))
    # Locally administered, unicast: EC2's MAC addresses look like 0e:..., 12:..., 02:...
    mac[0] = (mac[0] | 0x02) & 0xFE
    return Instance(
        instance_id=instance_id or "i-" + random_bytes(9).hex()[:17],
        account_id=account_id,
        region=region,
        availability_zone=region + "a",
        image_id="ami-" + random_bytes(9).hex()[:17],
        instance_type=instance_type,
        local_ipv4=f"172.31.{address[0]}.{max(address[1], 4)}",
        mac=":".join(f"{byte:02x}" for byte in mac),
        launched_at=launched_at,
        user_data=user_data,
    )
