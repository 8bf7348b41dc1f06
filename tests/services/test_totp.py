"""RFC 6238 TOTP: the RFC's SHA-1 test vectors, the time window and replay refusal."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from iamd.services import totp

# RFC 6238 appendix B, SHA-1 rows: (Unix time, 8-digit TOTP). A 6-digit code is the same
# truncated number modulo 10**6, so its last six digits.
RFC6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
RFC_SEED = base64.b32encode(b"12345678901234567890").decode()


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize(("seconds", "expected"), RFC6238_SHA1)
def test_rfc6238_vectors(seconds: int, expected: str) -> None:
    step = totp.time_step(at(seconds))
    assert step == seconds // 30
    assert totp.code_at(RFC_SEED, step) == expected[-6:]
    assert totp.verify(RFC_SEED, expected[-6:], at(seconds)) == step


def test_new_seed_is_aws_shaped() -> None:
    seed = totp.new_seed(lambda n: bytes(range(n)))
    assert len(seed) == 64
    assert base64.b32decode(seed) == bytes(range(40))


def test_window_is_one_step_either_side() -> None:
    now = at(1_700_000_000)
    step = totp.time_step(now)
    for offset in (-1, 0, 1):
        assert totp.verify(RFC_SEED, totp.code_at(RFC_SEED, step + offset), now) == step + offset
    for offset in (-3, -2, 2, 3):
        with pytest.raises(totp.InvalidCode):
            totp.verify(RFC_SEED, totp.code_at(RFC_SEED, step + offset), now)


def test_wrong_code_is_refused() -> None:
    now = at(1_700_000_000)
    right = totp.code_at(RFC_SEED, totp.time_step(now))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(totp.InvalidCode):
        totp.verify(RFC_SEED, wrong, now)


def test_a_code_is_accepted_once() -> None:
    now = at(1_700_000_000)
    step = totp.time_step(now)
    code = totp.code_at(RFC_SEED, step)
    accepted = totp.verify(RFC_SEED, code, now)
    with pytest.raises(totp.InvalidCode):
        totp.verify(RFC_SEED, code, now, after_step=accepted)
    # An earlier step is a replay too, the next one is fine.
    with pytest.raises(totp.InvalidCode):
        totp.verify(RFC_SEED, totp.code_at(RFC_SEED, step - 1), now, after_step=accepted)
    assert totp.verify(RFC_SEED, totp.code_at(RFC_SEED, step + 1), now, after_step=accepted) == step + 1


def test_pair_of_consecutive_codes() -> None:
    now = at(1_700_000_000)
    step = totp.time_step(now)
    first, second = totp.code_at(RFC_SEED, step), totp.code_at(RFC_SEED, step + 1)
    assert totp.verify_pair(RFC_SEED, first, second, now) == step + 1
    # The two codes of the last and this step (the usual console flow) are fine too.
    assert totp.verify_pair(RFC_SEED, totp.code_at(RFC_SEED, step - 1), first, now) == step
    for bad in ((second, first), (first, first), (first, totp.code_at(RFC_SEED, step + 2))):
        with pytest.raises(totp.InvalidCode):
            totp.verify_pair(RFC_SEED, *bad, now)
    with pytest.raises(totp.InvalidCode):
        totp.verify_pair(RFC_SEED, first, second, now, after_step=step)
    far = (totp.code_at(RFC_SEED, step + 5), totp.code_at(RFC_SEED, step + 6))
    with pytest.raises(totp.InvalidCode):
        totp.verify_pair(RFC_SEED, *far, now)
    assert totp.verify_pair(RFC_SEED, *far, now, window=10) == step + 6


def test_provisioning_uri() -> None:
    uri = totp.provisioning_uri("ABC", "Amazon Web Services:alice@111122223333", "Amazon Web Services")
    assert uri == (
        "otpauth://totp/Amazon%20Web%20Services:alice@111122223333?secret=ABC&issuer=Amazon%20Web%20Services"
    )
    assert totp.provisioning_uri("ABC", "x") == "otpauth://totp/x?secret=ABC"
