from __future__ import annotations

import os
import re

from iamd.services import identifiers


def test_formats() -> None:
    for _ in range(200):
        assert re.fullmatch(r"AIDA[A-Z2-7]{17}", identifiers.unique_id("user", os.urandom))
        assert re.fullmatch(r"AROA[A-Z2-7]{17}", identifiers.unique_id("role", os.urandom))
        assert re.fullmatch(r"AKIA[A-Z2-7]{16}", identifiers.access_key_id(os.urandom))
        assert re.fullmatch(r"ASIA[A-Z2-7]{16}", identifiers.access_key_id(os.urandom, temporary=True))
        assert re.fullmatch(r"[A-Za-z0-9+/]{40}", identifiers.secret_access_key(os.urandom))
        assert re.fullmatch(r"[1-9][0-9]{11}", identifiers.account_id(os.urandom))


def test_randomness_is_an_argument() -> None:
    fixed = lambda n: bytes(n)
    assert identifiers.unique_id("group", fixed) == "AGPA" + "A" * 17
    assert identifiers.account_id(fixed) == "100000000000"


def test_uuid4_is_a_version_4_uuid_of_the_random_bytes() -> None:
    import uuid

    for _ in range(200):
        raw = os.urandom(16)
        text = identifiers.uuid4(lambda n, raw=raw: raw[:n])  # type: ignore[misc]
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
        # Every bit not fixed by the version and the variant comes from the random bytes.
        expected = bytearray(raw)
        expected[6] = (expected[6] & 0x0F) | 0x40
        expected[8] = (expected[8] & 0x3F) | 0x80
        assert parsed.bytes == bytes(expected)
