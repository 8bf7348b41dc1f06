"""Virtual MFA devices through boto3 and the AWS CLI, with real TOTP codes from pyotp.

Codes are computed for time steps around the test's own clock (the server reads the same
clock), so nothing waits for a 30-second step to pass: a device is enabled with the codes
of the last and the current step, leaving the next step's code fresh for one more use.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyotp
import segno

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of
from tests.e2e.test_enforcement import allow, doc, new_user

ISSUER = "Amazon%20Web%20Services"


def step_now() -> int:
    return int(time.time()) // 30


def code(seed: str, step: int) -> str:
    """The code a device with ``seed`` shows during time step ``step``."""
    return str(pyotp.TOTP(seed).at(step * 30))


def create_device(iam: Any, name: str, **kwargs: Any) -> tuple[str, str]:
    """A new virtual device: (serial number, base32 seed)."""
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, **kwargs)["VirtualMFADevice"]
    return device["SerialNumber"], device["Base32StringSeed"].decode()


def enable_device(iam: Any, user: str, name: str | None = None) -> tuple[str, str, int]:
    """Create a device and enable it for ``user`` with the codes of the last and this step.

    Returns (serial, seed, step): the code of ``step + 1`` is still unused and valid.
    """
    serial, seed = create_device(iam, name or f"{user}-mfa")
    step = step_now()
    iam.enable_mfa_device(UserName=user, SerialNumber=serial,
                          AuthenticationCode1=code(seed, step - 1), AuthenticationCode2=code(seed, step))
    return serial, seed, step


def test_create_virtual_mfa_device(iam: Any) -> None:
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
    assert created["SerialNumber"] == f"arn:aws:iam::{ACCOUNT_ID}:mfa/alice"
    seed = created["Base32StringSeed"].decode()
    assert len(seed) == 64 and len(base64.b32decode(seed)) == 40
    png = created["QRCodePNG"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    uri = f"otpauth://totp/{ISSUER}:alice@{ACCOUNT_ID}?secret={seed}&issuer={ISSUER}"
    expected = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(expected, kind="png", scale=4, border=4)
    assert png == expected.getvalue()
    # Every device gets its own seed.
    assert create_device(iam, "bob")[1] != seed


def test_qr_code_names_the_account_alias(iam: Any) -> None:
    iam.create_account_alias(AccountAlias="example-corp")
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
    seed = created["Base32StringSeed"].decode()
    expected = io.BytesIO()
    segno.make(f"otpauth://totp/{ISSUER}:alice@example-corp?secret={seed}&issuer={ISSUER}",
               error="m", micro=False).save(expected, kind="png", scale=4, border=4)
    assert created["QRCodePNG"] == expected.getvalue()


def test_create_with_path_and_tags(iam: Any) -> None:
    created = iam.create_virtual_mfa_device(
        VirtualMFADeviceName="carol", Path="/staff/", Tags=[{"Key": "team", "Value": "ops"}]
    )["VirtualMFADevice"]
    serial = created["SerialNumber"]
    assert serial == f"arn:aws:iam::{ACCOUNT_ID}:mfa/staff/carol"
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "team", "Value": "ops"}]


def test_create_errors(iam: Any) -> None:
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")
    message = "MFADevice entity at the same path and name already exists."
    assert error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName="alice") == (
        "EntityAlreadyExists", 409, message)
    assert error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName="ALICE") == (
        "EntityAlreadyExists", 409, message)
    # Another path is another device.
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice", Path="/other/")
    code_, status, text = error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName="t",
                                   Tags=[{"Key": "aws:x", "Value": "y"}])
    assert (code_, status) == ("InvalidInput", 400) and "reserved" in text
    assert error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName="bad name")[0] == "ValidationError"


def test_enable_and_list(iam: Any) -> None:
    iam.create_user(UserName="alice")
    serial, _, _ = enable_device(iam, "alice")
    unassigned, _ = create_device(iam, "spare")
    devices = iam.list_mfa_devices(UserName="alice")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [("alice", serial)]
    assert abs(devices[0]["EnableDate"].timestamp() - time.time()) < 60
    assert iam.list_mfa_devices(UserName="alice")["IsTruncated"] is False

    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in assigned] == [serial]
    user = iam.get_user(UserName="alice")["User"]
    assert assigned[0]["User"] == {k: user[k] for k in ("Path", "UserName", "UserId", "Arn", "CreateDate")}
    assert assigned[0]["EnableDate"] == devices[0]["EnableDate"]
    assert "Base32StringSeed" not in assigned[0] and "QRCodePNG" not in assigned[0]
    spare = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert spare == [{"SerialNumber": unassigned}]
    everything = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert sorted(d["SerialNumber"] for d in everything) == sorted([serial, unassigned])
    assert len(iam.list_virtual_mfa_devices(AssignmentStatus="Any")["VirtualMFADevices"]) == 2

    got = iam.get_mfa_device(SerialNumber=serial, UserName="alice")
    assert (got["UserName"], got["SerialNumber"], got["EnableDate"]) == ("alice", serial, devices[0]["EnableDate"])


def test_enable_errors(iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    serial, seed = create_device(iam, "alice")
    step = step_now()
    good = {"AuthenticationCode1": code(seed, step - 1), "AuthenticationCode2": code(seed, step)}
    assert error_of(iam.enable_mfa_device, UserName="ghost", SerialNumber=serial, **good) == (
        "NoSuchEntity", 404, "The user with name ghost cannot be found.")
    missing = f"arn:aws:iam::{ACCOUNT_ID}:mfa/missing"
    assert error_of(iam.enable_mfa_device, UserName="alice", SerialNumber=missing, **good) == (
        "NoSuchEntity", 404, f"VirtualMFADevice with serial number {missing} doesn't exist.")
    invalid = ("InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
    wrong = f"{(int(good['AuthenticationCode2']) + 1) % 1_000_000:06d}"
    assert error_of(iam.enable_mfa_device, UserName="alice", SerialNumber=serial,
                    AuthenticationCode1=good["AuthenticationCode1"], AuthenticationCode2=wrong) == invalid
    # The same code twice, and two codes in the wrong order, are not consecutive codes.
    assert error_of(iam.enable_mfa_device, UserName="alice", SerialNumber=serial,
                    AuthenticationCode1=code(seed, step), AuthenticationCode2=code(seed, step)) == invalid
    assert error_of(iam.enable_mfa_device, UserName="alice", SerialNumber=serial,
                    AuthenticationCode1=code(seed, step), AuthenticationCode2=code(seed, step - 1)) == invalid
    # Codes from long ago are refused.
    assert error_of(iam.enable_mfa_device, UserName="alice", SerialNumber=serial,
                    AuthenticationCode1=code(seed, step - 20), AuthenticationCode2=code(seed, step - 19)) == invalid
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, **good)
    in_use = ("EntityAlreadyExists", 409, "MFA Device is already in use.")
    assert error_of(iam.enable_mfa_device, UserName="bob", SerialNumber=serial, **good) == in_use
    assert error_of(iam.enable_mfa_device, UserName="alice", SerialNumber=serial, **good) == in_use


def test_eight_devices_per_user(iam: Any) -> None:
    iam.create_user(UserName="alice")
    for number in range(8):
        enable_device(iam, "alice", f"d{number}")
    serial, seed = create_device(iam, "d8")
    step = step_now()
    assert error_of(iam.enable_mfa_device, UserName="alice", SerialNumber=serial,
                    AuthenticationCode1=code(seed, step - 1), AuthenticationCode2=code(seed, step)) == (
        "LimitExceeded", 409, "Cannot exceed quota for MFADevicesPerUser: 8")
    devices = iam.list_mfa_devices(UserName="alice", MaxItems=5)
    assert len(devices["MFADevices"]) == 5 and devices["IsTruncated"]
    rest = iam.list_mfa_devices(UserName="alice", Marker=devices["Marker"])
    assert len(rest["MFADevices"]) == 3 and not rest["IsTruncated"]
    listed = iam.list_virtual_mfa_devices(MaxItems=4)
    assert len(listed["VirtualMFADevices"]) == 4 and listed["IsTruncated"]
    following = iam.list_virtual_mfa_devices(MaxItems=10, Marker=listed["Marker"])["VirtualMFADevices"]
    assert len(following) == 5


def test_resync_refuses_replayed_codes(iam: Any) -> None:
    iam.create_user(UserName="alice")
    serial, seed, step = enable_device(iam, "alice")
    invalid = ("InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
    # The codes that enabled the device were used.
    assert error_of(iam.resync_mfa_device, UserName="alice", SerialNumber=serial,
                    AuthenticationCode1=code(seed, step - 1), AuthenticationCode2=code(seed, step)) == invalid
    fresh = {"AuthenticationCode1": code(seed, step + 1), "AuthenticationCode2": code(seed, step + 2)}
    iam.resync_mfa_device(UserName="alice", SerialNumber=serial, **fresh)
    assert error_of(iam.resync_mfa_device, UserName="alice", SerialNumber=serial, **fresh) == invalid
    other, _ = create_device(iam, "spare")
    assert error_of(iam.resync_mfa_device, UserName="alice", SerialNumber=other, **fresh) == (
        "NoSuchEntity", 404, f"VirtualMFADevice with serial number {other} doesn't exist.")
    assert error_of(iam.resync_mfa_device, UserName="ghost", SerialNumber=serial, **fresh)[:2] == (
        "NoSuchEntity", 404)


def test_deactivate_delete_and_delete_user(iam: Any) -> None:
    iam.create_user(UserName="alice")
    serial, _, _ = enable_device(iam, "alice")
    assert error_of(iam.delete_user, UserName="alice") == (
        "DeleteConflict", 409, "Cannot delete entity, must delete MFA device first.")
    assert error_of(iam.delete_virtual_mfa_device, SerialNumber=serial) == (
        "DeleteConflict", 409, "MFA device is still in use.")
    iam.deactivate_mfa_device(UserName="alice", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == [
        {"SerialNumber": serial}]
    missing = ("NoSuchEntity", 404, f"VirtualMFADevice with serial number {serial} doesn't exist.")
    assert error_of(iam.deactivate_mfa_device, UserName="alice", SerialNumber=serial) == missing
    assert error_of(iam.get_mfa_device, UserName="alice", SerialNumber=serial) == missing
    iam.delete_user(UserName="alice")
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "k", "Value": "v"}])
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    assert error_of(iam.delete_virtual_mfa_device, SerialNumber=serial) == missing
    assert error_of(iam.deactivate_mfa_device, UserName="ghost", SerialNumber=serial)[:2] == ("NoSuchEntity", 404)
    # A device of the same name starts afresh, without the old tags.
    serial_again, _ = create_device(iam, "alice-mfa")
    assert serial_again == serial
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == []


def test_delete_user_checks_credentials_before_mfa(iam: Any) -> None:
    iam.create_user(UserName="alice")
    enable_device(iam, "alice")
    iam.create_access_key(UserName="alice")
    assert error_of(iam.delete_user, UserName="alice")[2] == "Cannot delete entity, must delete access keys first."


def test_users_manage_their_own_devices(iam: Any, server: RunningServer) -> None:
    alice = new_user(iam, server, "alice")
    iam.put_user_policy(UserName="alice", PolicyName="own-mfa", PolicyDocument=doc(allow([
        "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices", "iam:GetMFADevice",
        "iam:DeactivateMFADevice",
    ])))
    serial, seed = create_device(alice, "alice")
    step = step_now()
    alice.enable_mfa_device(UserName="alice", SerialNumber=serial,
                            AuthenticationCode1=code(seed, step - 1), AuthenticationCode2=code(seed, step))
    # Without UserName, the caller's own devices.
    assert [d["SerialNumber"] for d in alice.list_mfa_devices()["MFADevices"]] == [serial]
    assert alice.get_mfa_device(SerialNumber=serial)["UserName"] == "alice"
    alice.deactivate_mfa_device(SerialNumber=serial)
    assert alice.list_mfa_devices()["MFADevices"] == []


def test_root_mfa_device(iam: Any) -> None:
    # AWS enables root MFA in its console; iamd also lets the root user name its account ID.
    serial, seed = create_device(iam, "root-account-mfa-device")
    step = step_now()
    iam.enable_mfa_device(UserName=ACCOUNT_ID, SerialNumber=serial,
                          AuthenticationCode1=code(seed, step - 1), AuthenticationCode2=code(seed, step))
    devices = iam.list_mfa_devices()["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [(ACCOUNT_ID, serial)]
    # As AWS lists it: assigned, with its enable date, and no User.
    listed = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert listed == [{"SerialNumber": serial, "EnableDate": devices[0]["EnableDate"]}]
    assert error_of(iam.delete_virtual_mfa_device, SerialNumber=serial)[0] == "DeleteConflict"
    iam.deactivate_mfa_device(SerialNumber=serial)
    assert iam.list_mfa_devices()["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=serial)


def test_tags(iam: Any) -> None:
    serial, _ = create_device(iam, "alice")
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "B", "Value": "3"}])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [
        {"Key": "B", "Value": "3"}, {"Key": "a", "Value": "1"}]
    first = iam.list_mfa_device_tags(SerialNumber=serial, MaxItems=1)
    assert first["IsTruncated"] and len(first["Tags"]) == 1
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["b"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "a", "Value": "1"}]
    missing = f"arn:aws:iam::{ACCOUNT_ID}:mfa/missing"
    expected = ("NoSuchEntity", 404, f"VirtualMFADevice with serial number {missing} doesn't exist.")
    assert error_of(iam.tag_mfa_device, SerialNumber=missing, Tags=[{"Key": "a", "Value": "1"}]) == expected
    assert error_of(iam.untag_mfa_device, SerialNumber=missing, TagKeys=["a"]) == expected
    assert error_of(iam.list_mfa_device_tags, SerialNumber=missing) == expected
    too_many = [{"Key": f"k{i}", "Value": ""} for i in range(50)]
    assert error_of(iam.tag_mfa_device, SerialNumber=serial, Tags=too_many) == (
        "LimitExceeded", 409, "The number of tags has reached the maximum limit.")


def test_list_mfa_devices_errors(iam: Any, server: RunningServer) -> None:
    assert error_of(iam.list_mfa_devices, UserName="ghost") == (
        "NoSuchEntity", 404, "The user with name ghost cannot be found.")
    assert error_of(iam.get_mfa_device, SerialNumber=f"arn:aws:iam::{ACCOUNT_ID}:mfa/x", UserName="ghost")[:2] == (
        "NoSuchEntity", 404)


def test_accounts_do_not_share_devices(iam: Any, server: RunningServer) -> None:
    iam.create_user(UserName="alice")
    serial, seed, step = enable_device(iam, "alice")
    status, other = server.admin("POST", "/_iamd/accounts", {})
    assert status in (200, 201)
    them = server.client("iam", access_key_id=other["access_key_id"], secret_access_key=other["secret_access_key"])
    assert them.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    them.create_user(UserName="mallory")
    assert error_of(them.enable_mfa_device, UserName="mallory", SerialNumber=serial,
                    AuthenticationCode1=code(seed, step), AuthenticationCode2=code(seed, step + 1))[:2] == (
        "NoSuchEntity", 404)
    assert error_of(them.delete_virtual_mfa_device, SerialNumber=serial)[:2] == ("NoSuchEntity", 404)
    assert error_of(them.list_mfa_device_tags, SerialNumber=serial)[:2] == ("NoSuchEntity", 404)
    # The same name in the other account is a device of its own.
    theirs, _ = create_device(them, "alice-mfa")
    assert theirs == f"arn:aws:iam::{other['account_id']}:mfa/alice-mfa"


def test_aws_cli(iam: Any, server: RunningServer, tmp_path: Path) -> None:
    png = tmp_path / "qr.png"
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli",
         "--outfile", str(png), "--bootstrap-method", "QRCodePNG", "--output", "json"],
        env=server.cli_env(), capture_output=True, text=True, timeout=60, check=True,
    )
    serial = json.loads(out.stdout)["VirtualMFADevice"]["SerialNumber"]
    assert serial == f"arn:aws:iam::{ACCOUNT_ID}:mfa/cli"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "list-virtual-mfa-devices", "--assignment-status", "Unassigned",
         "--output", "json"],
        env=server.cli_env(), capture_output=True, text=True, timeout=60, check=True,
    )
    assert json.loads(out.stdout)["VirtualMFADevices"] == [{"SerialNumber": serial}]
