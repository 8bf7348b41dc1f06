"""The simulated instance's identifiers, in EC2's formats."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest

from iamd.imds.instance import new_instance

NOW = datetime(2025, 3, 1, tzinfo=UTC)


def test_identifiers_have_ec2_formats() -> None:
    instance = new_instance(random.Random(3).randbytes, account_id="111122223333", launched_at=NOW)
    assert re.fullmatch(r"i-[0-9a-f]{17}", instance.instance_id)
    assert re.fullmatch(r"ami-[0-9a-f]{17}", instance.image_id)
    assert re.fullmatch(r"172\.31\.\d{1,3}\.\d{1,3}", instance.local_ipv4)
    assert instance.hostname == "ip-" + instance.local_ipv4.replace(".", "-") + ".ec2.internal"
    assert instance.availability_zone == "us-east-1a"
    first = int(instance.mac.split(":")[0], 16)
    assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", instance.mac) and first & 2 and not first & 1


def test_hostnames_outside_us_east_1() -> None:
    instance = new_instance(random.Random(3).randbytes, account_id="111122223333", launched_at=NOW, region="eu-west-1")
    assert instance.hostname.endswith(".eu-west-1.compute.internal")
    assert instance.availability_zone == "eu-west-1a"


def test_a_given_instance_id_is_kept_and_checked() -> None:
    rng = random.Random(3).randbytes
    assert new_instance(rng, account_id="1" * 12, launched_at=NOW, instance_id="i-0123456789abcdef0").instance_id == "i-0123456789abcdef0"
    with pytest.raises(ValueError, match="not an EC2 instance id"):
        new_instance(rng, account_id="1" * 12, launched_at=NOW, instance_id="web-1")
