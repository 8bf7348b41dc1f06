"""Security keys (FIDO2/WebAuthn, AWS's "U2F security key") as MFA devices of IAM users.

AWS registers security keys only in its console: there is no API operation, and the
console's registration is authorized (and logged) as ``iam:EnableMFADevice``. iamd does
the same: ``register`` runs in the place of EnableMFADevice's handler. A key is an MFA
device of kind ``u2f`` whose serial number is AWS's
``arn:aws:iam::ACCOUNT:u2f/user/USER/DEVICE-ID`` (ID: 26 upper-case letters and digits);
ListMFADevices shows it beside the user's virtual devices, ListVirtualMFADevices does not,
and DeactivateMFADevice removes it.

Both WebAuthn ceremonies use a challenge made here, kept in ``webauthn_challenges`` and
bound to one principal, that answers once and for ``CHALLENGE_LIFETIME`` at most. The
relying party id is the host name the console is served on; the browser's origin must be
that console's. A key's signature counter must grow at every use once it is not zero (a
counter that does not grow suggests a cloned key), and the update of the counter is
conditional, so one assertion cannot sign in twice.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import webauthn
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from iamd.protocol.errors import EntityAlreadyExists, InvalidAuthenticationCode, ValidationError
from iamd.services import arns
from iamd.services.iam import common
from iamd.services.iam.mfa import SECURITY_KEY
from iamd.services.operations import OperationContext
from iamd.services.runtime import Runtime
from iamd.store import DuplicateKey, UnitOfWork
from iamd.store.mfa import ChallengeRecord, MfaDeviceRecord, SecurityKeyRecord

log = logging.getLogger("iamd.security_keys")

CHALLENGE_LIFETIME = timedelta(minutes=5)
REGISTER = "register"
AUTHENTICATE = "authenticate"
RP_NAME = "iamd"
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_DEVICE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-")
MAX_DEVICE_NAME = 64

INVALID_KEY = "The security key's answer could not be verified. Try again."


@dataclass(frozen=True)
class Ceremony:
    """What the browser needs to run one WebAuthn ceremony: the handle of the stored
    challenge (kept by the console session) and the options, as JSON."""

    handle: str
    options: str


def validate_device_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_DEVICE_NAME or not set(name) <= _DEVICE_NAME_CHARS:
        raise ValidationError(
            f"The security key name `{name}` is not valid: use 1 to {MAX_DEVICE_NAME} letters, digits or +=,.@_-."
        )
    return name


def serial_number(partition: str, account_id: str, user_name: str, device_name: str,
                  random_bytes: Callable[[int], bytes]) -> str:
    """AWS's serial number of a security key: ``...:u2f/user/USER/DEVICE-ID``."""
    suffix = "".join(_ID_ALPHABET[byte % 32] for byte in random_bytes(26))
    return f"arn:{partition}:iam::{account_id}:u2f/user/{user_name}/{device_name}-{suffix}"


def _new_challenge(unit: UnitOfWork, runtime: Runtime, purpose: str, account_id: str, user_id: str) -> ChallengeRecord:
    record = ChallengeRecord(
        handle=base64.urlsafe_b64encode(runtime.random_bytes(24)).decode().rstrip("="),
        challenge=runtime.random_bytes(32), purpose=purpose, account_id=account_id, user_id=user_id,
        expires_at=runtime.now() + CHALLENGE_LIFETIME,
    )
    unit.mfa.add_challenge(record)
    return record


def _descriptors(unit: UnitOfWork, account_id: str, user_id: str) -> list[PublicKeyCredentialDescriptor]:
    found = []
    for device in unit.mfa.list_assigned(account_id, user_id, limit=100):
        key = unit.mfa.security_key(device.serial_number) if device.kind == SECURITY_KEY else None
        if key is not None:
            found.append(PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(key.credential_id)))
    return found


# -- registration ---------------------------------------------------------------------------

def begin_registration(
    unit: UnitOfWork, runtime: Runtime, *, account_id: str, user_id: str, user_name: str, rp_id: str
) -> Ceremony:
    """Options for ``navigator.credentials.create``: a new challenge for this user, and the
    user's keys already registered excluded (one authenticator, one registration)."""
    record = _new_challenge(unit, runtime, REGISTER, account_id, user_id)
    options = webauthn.generate_registration_options(
        rp_id=rp_id, rp_name=RP_NAME, user_name=user_name, user_id=user_id.encode(), user_display_name=user_name,
        challenge=record.challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED, user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(unit, account_id, user_id),
    )
    return Ceremony(record.handle, webauthn.options_to_json(options))


def register(
    context: OperationContext, *, serial: str, user_name: str, device_name: str, handle: str, credential: str,
    rp_id: str, origin: str,
) -> None:
    """Verify the browser's answer to a registration challenge and enable the new key, whose
    serial number is ``serial`` (from ``serial_number``), for the user. Runs as
    EnableMFADevice (authorized as it)."""
    device_name = validate_device_name(device_name)
    account_id = context.caller.account_id
    now = context.runtime.now()
    with context.db.transaction() as unit:
        user = unit.users.get_by_name(account_id, user_name)
        if user is None:
            raise common.no_such_entity("user", user_name)
        challenge = unit.mfa.take_challenge(handle, REGISTER, now)
        if challenge is None or challenge.account_id != account_id or challenge.user_id != user.id:
            raise InvalidAuthenticationCode(INVALID_KEY)
        try:
            verified = webauthn.verify_registration_response(
                credential=credential, expected_challenge=challenge.challenge, expected_rp_id=rp_id,
                expected_origin=origin,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            log.info("security key registration refused", extra={"reason": type(exc).__name__})
            raise InvalidAuthenticationCode(INVALID_KEY) from None
        limit = context.quotas.mfa_devices_per_user
        if unit.mfa.count_assigned(account_id, user.id) >= limit:
            raise common.quota_exceeded("MFADevicesPerUser", limit)
        serial = arns.arn_for_storage(serial)
        try:
            unit.mfa.add(MfaDeviceRecord(
                serial_number=serial, account_id=account_id, name=device_name, path=f"/user/{user.name}/",
                kind=SECURITY_KEY, seed_sealed=None, created_at=now, user_id=user.id, enabled_at=now,
            ))
            unit.mfa.add_security_key(SecurityKeyRecord(
                serial_number=serial, credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key, sign_count=verified.sign_count, rp_id=rp_id,
            ))
        except DuplicateKey:
            raise EntityAlreadyExists("This security key is already registered.") from None


# -- authentication -------------------------------------------------------------------------

def begin_authentication(
    unit: UnitOfWork, runtime: Runtime, *, account_id: str, user_id: str, rp_id: str
) -> Ceremony | None:
    """Options for ``navigator.credentials.get`` over the user's keys registered for this
    relying party, or None when the user has none."""
    allowed = [
        descriptor for descriptor in _descriptors(unit, account_id, user_id)
        if _rp_of(unit, account_id, user_id, descriptor.id) == rp_id
    ]
    if not allowed:
        return None
    record = _new_challenge(unit, runtime, AUTHENTICATE, account_id, user_id)
    options = webauthn.generate_authentication_options(
        rp_id=rp_id, challenge=record.challenge, allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return Ceremony(record.handle, webauthn.options_to_json(options))


def _rp_of(unit: UnitOfWork, account_id: str, user_id: str, credential_id: bytes) -> str | None:
    wanted = bytes_to_base64url(credential_id)
    for device in unit.mfa.list_assigned(account_id, user_id, limit=100):
        key = unit.mfa.security_key(device.serial_number)
        if key is not None and key.credential_id == wanted:
            return key.rp_id
    return None


class AssertionChecker:
    """Checks a sign-in's WebAuthn assertion against one of the user's keys.

    Shaped as ``signin.MfaVerifier``; the challenge is taken (used up) at the first check,
    whichever key the answer names, so an answer is checked against it once per sign-in.
    """

    def __init__(self, handle: str, rp_id: str, origin: str) -> None:
        self._handle = handle
        self._rp_id = rp_id
        self._origin = origin
        self._challenge: ChallengeRecord | None = None
        self._taken = False

    def __call__(
        self, unit: UnitOfWork, box: object, account_id: str, user_id: str | None, serial: str, answer: str,
        now: datetime,
    ) -> bool:
        if user_id is None:
            return False
        device = unit.mfa.get(arns.arn_for_storage(serial))
        if device is None or device.kind != SECURITY_KEY or device.user_id != user_id:
            return False
        key = unit.mfa.security_key(device.serial_number)
        if key is None or key.rp_id != self._rp_id or _credential_id(answer) != key.credential_id:
            return False
        if not self._taken:
            self._taken = True
            self._challenge = unit.mfa.take_challenge(self._handle, AUTHENTICATE, now)
        challenge = self._challenge
        if challenge is None or challenge.account_id != account_id or challenge.user_id != user_id:
            return False
        try:
            verified = webauthn.verify_authentication_response(
                credential=answer, expected_challenge=challenge.challenge, expected_rp_id=self._rp_id,
                expected_origin=self._origin, credential_public_key=key.public_key,
                credential_current_sign_count=key.sign_count,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            log.info("security key assertion refused", extra={"reason": type(exc).__name__})
            return False
        return unit.mfa.set_sign_count(key.serial_number, key.sign_count, verified.new_sign_count)


def _credential_id(answer: str) -> str | None:
    try:
        parsed = json.loads(answer)
    except ValueError:
        return None
    value = parsed.get("rawId") if isinstance(parsed, dict) else None
    return value if isinstance(value, str) else None
