from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from iamd.services.crypto import (
    MasterKeyError,
    SealError,
    SecretBox,
    decode_master_key,
    create_key_file,
    read_key_file,
)

KEY = bytes(range(32))


def test_seal_and_open_round_trip() -> None:
    box = SecretBox(KEY)
    sealed = box.seal("access-key-secret", b"wJalrXUtnFEMI", context=b"AKIA1")
    assert b"wJalrXUtnFEMI" not in sealed
    assert box.open("access-key-secret", sealed, context=b"AKIA1") == b"wJalrXUtnFEMI"


@pytest.mark.parametrize(
    "change",
    [
        lambda box, sealed: box.open("access-key-secret", sealed, context=b"AKIA2"),
        lambda box, sealed: box.open("session-token", sealed, context=b"AKIA1"),
        lambda box, sealed: box.open("access-key-secret", sealed[:-1] + bytes([sealed[-1] ^ 1]), context=b"AKIA1"),
        lambda box, sealed: SecretBox(bytes(32)).open("access-key-secret", sealed, context=b"AKIA1"),
        lambda box, sealed: box.open("access-key-secret", sealed[:3], context=b"AKIA1"),
    ],
    ids=["other-record", "other-purpose", "tampered", "other-key", "truncated"],
)
def test_what_does_not_open(change) -> None:  # type: ignore[no-untyped-def]
    box = SecretBox(KEY)
    sealed = box.seal("access-key-secret", b"secret", context=b"AKIA1")
    with pytest.raises(SealError):
        change(box, sealed)


def test_nonces_differ() -> None:
    box = SecretBox(KEY)
    assert box.seal("p", b"x") != box.seal("p", b"x")


def test_key_file_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    key = create_key_file(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path) == key
    # An existing key file is never overwritten.
    with pytest.raises(FileExistsError):
        create_key_file(path)
    assert read_key_file(path) == key


def test_master_key_forms() -> None:
    assert decode_master_key(base64.b64encode(KEY).decode()) == KEY
    assert decode_master_key(KEY.hex()) == KEY
    for bad in ("short", base64.b64encode(b"x" * 16).decode(), "zz" * 32):
        with pytest.raises(MasterKeyError):
            decode_master_key(bad)
    with pytest.raises(MasterKeyError):
        SecretBox(b"x" * 16)


NEW_KEY = bytes(range(1, 33))


def test_a_rotated_box_seals_under_the_new_key_and_opens_what_the_old_one_sealed() -> None:
    old = SecretBox(KEY)
    sealed_before = old.seal("session-token", b"issued before", context=b"ASIA1")
    rotated = SecretBox(NEW_KEY, previous_keys=[KEY])
    assert rotated.open("session-token", sealed_before, context=b"ASIA1") == b"issued before"
    sealed_after = rotated.seal("session-token", b"issued after", context=b"ASIA1")
    assert rotated.is_current(sealed_after) and not rotated.is_current(sealed_before)
    # The old key alone does not open what the new one sealed.
    with pytest.raises(SealError):
        old.open("session-token", sealed_after, context=b"ASIA1")
    resealed = rotated.reseal("session-token", sealed_before, context=b"ASIA1")
    assert SecretBox(NEW_KEY).open("session-token", resealed, context=b"ASIA1") == b"issued before"
    assert rotated.previous_check_values() == [old.check_value()]


def test_use_keys_switches_a_live_box() -> None:
    box = SecretBox(KEY)
    before = box.seal("mfa-seed", b"seed", context=b"arn")
    box.use_keys(NEW_KEY, [KEY])
    after = box.seal("mfa-seed", b"seed", context=b"arn")
    assert box.check_value() == SecretBox(NEW_KEY).check_value()
    assert box.open("mfa-seed", before, context=b"arn") == box.open("mfa-seed", after, context=b"arn") == b"seed"
    assert not SecretBox(KEY).is_current(after)
