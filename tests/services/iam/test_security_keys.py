"""Security keys: AWS's serial numbers, device names, and an answer that names no key."""

from __future__ import annotations

import os
import re

import pytest

from iamd.protocol.errors import ValidationError
from iamd.services.iam import security_keys


def test_serial_numbers_take_aws_form() -> None:
    serial = security_keys.serial_number("aws", "111122223333", "alice", "yubikey", os.urandom)
    assert re.fullmatch(r"arn:aws:iam::111122223333:u2f/user/alice/yubikey-[A-Z2-7]{26}", serial)


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "key/1", "<script>"])
def test_device_names_are_checked(name: str) -> None:
    with pytest.raises(ValidationError):
        security_keys.validate_device_name(name)


def test_an_answer_that_is_not_json_names_no_credential() -> None:
    assert security_keys._credential_id("123456") is None
    assert security_keys._credential_id('{"rawId": 5}') is None
    assert security_keys._credential_id('{"rawId": "abc"}') == "abc"
