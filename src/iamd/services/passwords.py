"""Password hashing: argon2id only, verified in constant time by argon2 itself."""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's recommended (RFC 9106) parameters
_dummy_lock = threading.Lock()
_dummy_hash: list[str] = []


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification(password: str) -> None:
    """Spend what verifying ``password`` against a real hash costs, and match nothing.

    Sign-in runs this for unknown users and locked profiles, so that the time an answer
    takes does not tell which users exist or which profiles are locked.
    """
    with _dummy_lock:
        if not _dummy_hash:
            _dummy_hash.append(_hasher.hash("iamd: a password nobody has"))
        dummy = _dummy_hash[0]
    password_matches(dummy, password)
