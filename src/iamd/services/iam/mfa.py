"""Multi-factor authentication devices: virtual (TOTP) devices and the codes they show.

A virtual device is created unassigned (CreateVirtualMFADevice hands out its seed, once),
then enabled for an IAM user with two consecutive codes (EnableMFADevice), at most eight
per user. Its serial number is its ARN, ``arn:aws:iam::ACCOUNT:mfa/PATH/NAME``. Seeds
are stored sealed under the master key, bound to the serial number.

``verify_code`` is what everything that accepts an MFA code calls (STS, console sign-in):
a code is accepted within one time step of now, and once only (the last accepted step is
remembered per device).

The root user: AWS enables root MFA devices only in its console. iamd also accepts
EnableMFADevice from the root user with ``UserName`` set to the account ID, when no IAM
user has that name; DeactivateMFADevice and ListMFADevices from the root user without
``UserName`` mean the root user's own devices, as in AWS.

Security keys (``iam/security_keys.py``) are devices of kind ``u2f``, registered in the
console only; ListMFADevices lists them, DeactivateMFADevice deletes them.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import segno

from iamd.protocol.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    NoSuchEntity,
    ValidationError,
)
from iamd.services import arns, totp
from iamd.services.crypto import SecretBox
from iamd.services.iam import common, tagging
from iamd.services.iam.users import NON_USER_MESSAGE, find_user, user_shape
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.services.quotas import quota_reached
from iamd.store import DuplicateKey, UnitOfWork, UserRecord
from iamd.store.mfa import MfaDeviceRecord

VIRTUAL = "virtual"
SECURITY_KEY = "u2f"
SEED_PURPOSE = "mfa-seed"
# What authenticator apps show above the account: AWS's QR codes name AWS.
ISSUER = "Amazon Web Services"
# How far (in 30-second steps) the second of two codes may be from now: EnableMFADevice
# takes codes of the last, this or the next step; ResyncMFADevice searches wider, for a
# device whose clock drifted.
ENABLE_WINDOW = 1
RESYNC_WINDOW = 10
VERIFY_WINDOW = 1

INVALID_CODES = "Authentication code for device is not valid."
IN_USE = "MFA Device is already in use."
STILL_IN_USE = "MFA device is still in use."
UNKNOWN_DEVICE_MESSAGE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)
INVALID_CODE_MESSAGE = "MultiFactorAuthentication failed with invalid MFA one time pass code."


class UnknownMfaDevice(AccessDenied):
    """The serial number names no enabled device of the principal (STS's AccessDenied)."""

    def __init__(self, message: str = UNKNOWN_DEVICE_MESSAGE) -> None:
        super().__init__(message)


class InvalidMfaCode(AccessDenied):
    """The code is wrong, out of its time window, or was already used (STS's AccessDenied)."""

    def __init__(self, message: str = INVALID_CODE_MESSAGE) -> None:
        super().__init__(message)


# -- what other modules use -------------------------------------------------------------

def verify_code(
    unit: UnitOfWork,
    box: SecretBox,
    *,
    account_id: str,
    user_id: str | None,
    serial_number: str,
    code: str,
    now: datetime,
) -> MfaDeviceRecord:
    """Check a one-time code from a principal's MFA device and consume it.

    ``user_id`` is the IAM user's id, or None for the account's root user. The device must
    be enabled for that principal in that account (else ``UnknownMfaDevice``) and the code
    valid within one time step of ``now`` and later than the last code accepted (else
    ``InvalidMfaCode``). Call it inside a transaction: it records the accepted step.
    """
    device = unit.mfa.get(arns.arn_for_storage(serial_number))
    if device is None or device.account_id != account_id or not _owned_by(device, user_id):
        raise UnknownMfaDevice()
    if device.kind != VIRTUAL or device.seed_sealed is None:
        raise UnknownMfaDevice()
    seed = _open_seed(box, device)
    try:
        step = totp.verify(seed, code, now, window=VERIFY_WINDOW, after_step=device.last_used_step)
    except totp.InvalidCode:
        raise InvalidMfaCode() from None
    if not unit.mfa.use_step(device.serial_number, step):
        raise InvalidMfaCode()
    return device


def has_devices(unit: UnitOfWork, account_id: str, user_id: str | None) -> bool:
    """Whether MFA is enabled for the user (None: the root user)."""
    return unit.mfa.count_assigned(account_id, user_id) > 0


def _owned_by(device: MfaDeviceRecord, user_id: str | None) -> bool:
    if user_id is None:
        return device.assigned_root
    return device.user_id == user_id


def seal_seed(box: SecretBox, serial_number: str, seed: str) -> bytes:
    return box.seal(SEED_PURPOSE, seed.encode("ascii"), context=serial_number.encode())


def _open_seed(box: SecretBox, device: MfaDeviceRecord) -> str:
    assert device.seed_sealed is not None
    return box.open(SEED_PURPOSE, device.seed_sealed, context=device.serial_number.encode()).decode("ascii")


def qr_code_png(uri: str) -> bytes:
    """A PNG image of the QR code of ``uri``."""
    buffer = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


def otpauth_uri(seed: str, device_name: str, account_label: str) -> str:
    """``otpauth://totp/Amazon%20Web%20Services:NAME@ACCOUNT?secret=SEED&issuer=...``: AWS's
    label is the device name at the account's alias (its ID when it has none)."""
    return totp.provisioning_uri(seed, f"{ISSUER}:{device_name}@{account_label}", ISSUER)


# -- shapes and lookups -------------------------------------------------------------------

def no_such_device(serial_number: str) -> NoSuchEntity:
    return NoSuchEntity(f"VirtualMFADevice with serial number {serial_number} doesn't exist.")


def _serial(context: OperationContext, device: MfaDeviceRecord) -> str:
    return arns.arn_in_partition(device.serial_number, context.caller.partition)


def _find_device(context: OperationContext, unit: UnitOfWork, serial_number: str) -> MfaDeviceRecord:
    """The caller's account's device with that serial number, or ``NoSuchEntity``."""
    device = unit.mfa.get(arns.arn_for_storage(serial_number))
    if device is None or device.account_id != context.caller.account_id:
        raise no_such_device(serial_number)
    return device


def _root_name(context: OperationContext) -> str:
    # The name iamd gives the root user where an MFA shape needs a UserName.
    return context.caller.account_id


def _owner(context: OperationContext, unit: UnitOfWork, name: str | None) -> tuple[str | None, str]:
    """Whose devices an optional ``UserName`` means: (user id or None for root, user name).

    Without a name it is the caller: an IAM user, or the root user; role sessions and
    federated users must name a user.
    """
    if name is not None:
        user = find_user(context, unit, name)
        return user.id, user.name
    caller = context.caller
    if caller.is_root:
        return None, _root_name(context)
    if caller.kind == "User" and caller.entity_id:
        me = unit.users.get(caller.entity_id)
        if me is None:
            raise common.no_such_entity("user", caller.user_name or "")
        return me.id, me.name
    raise ValidationError(NON_USER_MESSAGE)


def _target_for_enable(context: OperationContext, unit: UnitOfWork, name: str) -> tuple[str | None, str]:
    """EnableMFADevice's and ResyncMFADevice's user; the root user may name its account ID."""
    user = unit.users.get_by_name(context.caller.account_id, name)
    if user is not None:
        return user.id, user.name
    if context.caller.is_root and name == context.caller.account_id:
        return None, _root_name(context)
    raise common.no_such_entity("user", name)


def _mfa_device_shape(context: OperationContext, device: MfaDeviceRecord, user_name: str) -> dict[str, Any]:
    shape: dict[str, Any] = {"UserName": user_name, "SerialNumber": _serial(context, device)}
    if device.enabled_at is not None:
        shape["EnableDate"] = device.enabled_at
    return shape


def _virtual_device_shape(
    context: OperationContext, device: MfaDeviceRecord, users: dict[str, UserRecord]
) -> dict[str, Any]:
    """A device as ListVirtualMFADevices shows it: no seed, no QR code, no tags (AWS's
    listings leave tags out); a root user's device shows no User, as in AWS."""
    shape: dict[str, Any] = {"SerialNumber": _serial(context, device)}
    if device.user_id is not None and device.user_id in users:
        shape["User"] = user_shape(context, users[device.user_id])
    if device.enabled_at is not None:
        shape["EnableDate"] = device.enabled_at
    return shape


# -- operations ---------------------------------------------------------------------------

@operation("iam", "CreateVirtualMFADevice")
def create_virtual_mfa_device(context: OperationContext, params: Params) -> Output:
    name = params["VirtualMFADeviceName"]
    path = params.get("Path", "/")
    account_id = context.caller.account_id
    tags = params.get("Tags") or []
    tagging.validate(tags)
    serial = arns.arn_for_storage(arns.iam_arn(context.caller.partition, account_id, "mfa", path, name))
    seed = totp.new_seed(context.runtime.random_bytes)
    with context.db.transaction() as unit:
        if unit.mfa.find_by_path_and_name(account_id, path, name) is not None:
            raise EntityAlreadyExists("MFADevice entity at the same path and name already exists.")
        device = MfaDeviceRecord(
            serial_number=serial,
            account_id=account_id,
            name=name,
            path=path,
            kind=VIRTUAL,
            seed_sealed=seal_seed(context.box, serial, seed),
            created_at=context.runtime.now(),
        )
        try:
            unit.mfa.add(device)
        except DuplicateKey:
            raise EntityAlreadyExists("MFADevice entity at the same path and name already exists.") from None
        if tags:
            tagging.tag(context, unit, "mfa", serial, tags)
        label = unit.aliases.get(account_id) or account_id
    output: dict[str, Any] = {
        "SerialNumber": _serial(context, device),
        "Base32StringSeed": seed.encode("ascii"),
        "QRCodePNG": qr_code_png(otpauth_uri(seed, name, label)),
    }
    if tags:
        output["Tags"] = [{"Key": tag["Key"], "Value": tag.get("Value", "")} for tag in tags]
    return {"VirtualMFADevice": output}


@operation("iam", "EnableMFADevice")
def enable_mfa_device(context: OperationContext, params: Params) -> Output:
    serial_number = params["SerialNumber"]
    now = context.runtime.now()
    with context.db.transaction() as unit:
        user_id, _ = _target_for_enable(context, unit, params["UserName"])
        device = _find_device(context, unit, serial_number)
        if device.assigned:
            raise EntityAlreadyExists(IN_USE)
        limit = context.quotas.mfa_devices_per_user
        account_id = context.caller.account_id
        if quota_reached(unit, account_id, limit, lambda: unit.mfa.count_assigned(account_id, user_id)):
            raise common.quota_exceeded("MFADevicesPerUser", limit)
        step = _check_pair(context, device, params, now, ENABLE_WINDOW)
        if not unit.mfa.assign(device.serial_number, user_id, now, step):
            raise EntityAlreadyExists(IN_USE)
    return None


def _check_pair(
    context: OperationContext, device: MfaDeviceRecord, params: Params, now: datetime, window: int
) -> int:
    if device.kind != VIRTUAL or device.seed_sealed is None:
        raise InvalidAuthenticationCode(INVALID_CODES)
    seed = _open_seed(context.box, device)
    try:
        return totp.verify_pair(
            seed,
            params["AuthenticationCode1"],
            params["AuthenticationCode2"],
            now,
            window=window,
            after_step=device.last_used_step,
        )
    except totp.InvalidCode:
        raise InvalidAuthenticationCode(INVALID_CODES) from None


def _assigned_device(
    context: OperationContext, unit: UnitOfWork, serial_number: str, user_id: str | None
) -> MfaDeviceRecord:
    device = unit.mfa.get(arns.arn_for_storage(serial_number))
    if device is None or device.account_id != context.caller.account_id or not _owned_by(device, user_id):
        raise no_such_device(serial_number)
    return device


@operation("iam", "ResyncMFADevice")
def resync_mfa_device(context: OperationContext, params: Params) -> Output:
    now = context.runtime.now()
    with context.db.transaction() as unit:
        user_id, _ = _target_for_enable(context, unit, params["UserName"])
        device = _assigned_device(context, unit, params["SerialNumber"], user_id)
        step = _check_pair(context, device, params, now, RESYNC_WINDOW)
        if not unit.mfa.use_step(device.serial_number, step):
            raise InvalidAuthenticationCode(INVALID_CODES)
    return None


@operation("iam", "DeactivateMFADevice")
def deactivate_mfa_device(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        name = params.get("UserName")
        if name is not None:
            user_id, _ = _target_for_enable(context, unit, name)
        else:
            user_id, _ = _owner(context, unit, None)
        device = _assigned_device(context, unit, params["SerialNumber"], user_id)
        if device.kind == SECURITY_KEY:
            # A security key exists only while it is enabled: AWS removes it whole.
            unit.tags.remove_all("mfa", device.serial_number)
            unit.mfa.delete(device.serial_number)
        else:
            unit.mfa.unassign(device.serial_number)
    return None


@operation("iam", "DeleteVirtualMFADevice")
def delete_virtual_mfa_device(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        device = _find_device(context, unit, params["SerialNumber"])
        if device.assigned:
            raise DeleteConflict(STILL_IN_USE)
        unit.tags.remove_all("mfa", device.serial_number)
        unit.mfa.delete(device.serial_number)
    return None


@operation("iam", "ListMFADevices")
def list_mfa_devices(context: OperationContext, params: Params) -> Output:
    account_id = context.caller.account_id
    with context.db.reading() as unit:
        user_id, user_name = _owner(context, unit, params.get("UserName"))
        found, marker = page(
            params,
            lambda after, limit: unit.mfa.list_assigned(account_id, user_id, after, limit),
            key=lambda device: device.serial_number,
        )
        devices = [_mfa_device_shape(context, device, user_name) for device in found]
    return common.paged({}, "MFADevices", devices, marker)


@operation("iam", "ListVirtualMFADevices")
def list_virtual_mfa_devices(context: OperationContext, params: Params) -> Output:
    account_id = context.caller.account_id
    assignment = params.get("AssignmentStatus") or "Any"
    with context.db.reading() as unit:
        found, marker = page(
            params,
            lambda after, limit: unit.mfa.list_virtual(account_id, assignment, after, limit),
            key=lambda device: device.serial_number,
        )
        users = unit.users.get_many([device.user_id for device in found if device.user_id is not None])
        devices = [_virtual_device_shape(context, device, users) for device in found]
    return common.paged({}, "VirtualMFADevices", devices, marker)


@operation("iam", "GetMFADevice")
def get_mfa_device(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        user_id, user_name = _owner(context, unit, params.get("UserName"))
        device = _assigned_device(context, unit, params["SerialNumber"], user_id)
    output: dict[str, Any] = {"SerialNumber": _serial(context, device)}
    if user_id is not None:
        output["UserName"] = user_name
    if device.enabled_at is not None:
        output["EnableDate"] = device.enabled_at
    return output


@operation("iam", "TagMFADevice")
def tag_mfa_device(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        device = _find_device(context, unit, params["SerialNumber"])
        tagging.tag(context, unit, "mfa", device.serial_number, params["Tags"])
    return None


@operation("iam", "UntagMFADevice")
def untag_mfa_device(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        device = _find_device(context, unit, params["SerialNumber"])
        tagging.untag(unit, "mfa", device.serial_number, params["TagKeys"])
    return None


@operation("iam", "ListMFADeviceTags")
def list_mfa_device_tags(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        device = _find_device(context, unit, params["SerialNumber"])
        return tagging.list_tags_output(params, unit, "mfa", device.serial_number)
