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
