"""Secrets at rest: authenticated encryption under keys derived from the master key.

A sealed value is ``version || key id || nonce || AES-256-GCM(ciphertext + tag)``; the
key id lets a deployment rotate its master key and still open what the old one sealed.
Each use ("access-key-secret", "session-token", "mfa-seed") gets its own subkey through
HKDF, and the caller binds the ciphertext to its record (``context``), so a sealed secret
copied onto another row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_SIZE = 12
MASTER_KEY_SIZE = 32


class SealError(Exception):
    """A sealed value did not open: wrong key, wrong context, or tampered bytes."""


class MasterKeyError(Exception):
    """The master key is missing, unreadable or malformed."""


class _Key:
    """One master key with its key id and its per-purpose subkeys (derived on first use)."""

    __slots__ = ("_subkeys", "key_id", "master")

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != MASTER_KEY_SIZE:
            raise MasterKeyError("the master key must be 32 bytes")
        self.master = master_key
        self.key_id = hashlib.sha256(b"iamd-key-id" + master_key).digest()[:4]
        self._subkeys: dict[str, AESGCM] = {}

    def subkey(self, purpose: str) -> AESGCM:
        aead = self._subkeys.get(purpose)
        if aead is None:
            key = HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=b"iamd/" + purpose.encode()
            ).derive(self.master)
            aead = self._subkeys[purpose] = AESGCM(key)
        return aead

    def check_value(self) -> str:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=16, salt=None, info=b"iamd/key-check"
        ).derive(self.master)
        return derived.hex()


class SecretBox:
    """Seals secrets under the current master key and opens what it or a previous key
    sealed (``previous_keys``: the keys a rotation replaced), chosen by the key id."""

    def __init__(
        self,
        master_key: bytes,
        random_bytes: Callable[[int], bytes] = os.urandom,
        previous_keys: Sequence[bytes] = (),
    ) -> None:
        self._random_bytes = random_bytes
        self._ring = self._make_ring(master_key, previous_keys)

    @staticmethod
    def _make_ring(master_key: bytes, previous_keys: Sequence[bytes]) -> tuple[_Key, dict[bytes, _Key]]:
        current = _Key(master_key)
        keys = {key.key_id: key for key in map(_Key, previous_keys)}
        keys[current.key_id] = current
        return current, keys

    def use_keys(self, master_key: bytes, previous_keys: Sequence[bytes] = ()) -> None:
        """Seal under ``master_key`` from now on (a rotation picked up by a running server).
        The ring is replaced in one assignment, so a concurrent seal or open sees either the
        old ring or the new one, never a mix."""
        self._ring = self._make_ring(master_key, previous_keys)

    @property
    def key_id(self) -> bytes:
        return self._ring[0].key_id

    def check_value(self) -> str:
        """A value that names this master key without revealing it (HKDF output of its own
        purpose), kept in the store so a start with another key is refused."""
        return self._ring[0].check_value()

    def previous_check_values(self) -> list[str]:
        """The check values of the previous keys this box still opens with."""
        current, keys = self._ring
        return [key.check_value() for key in keys.values() if key is not current]

    def seal(self, purpose: str, plaintext: bytes, context: bytes = b"") -> bytes:
        current = self._ring[0]
        nonce = self._random_bytes(_NONCE_SIZE)
        header = _VERSION + current.key_id
        ciphertext = current.subkey(purpose).encrypt(nonce, plaintext, header + context)
        return header + nonce + ciphertext

    def open(self, purpose: str, sealed: bytes, context: bytes = b"") -> bytes:
        header, nonce, ciphertext = sealed[:5], sealed[5 : 5 + _NONCE_SIZE], sealed[5 + _NONCE_SIZE :]
        key = self._ring[1].get(header[1:]) if len(header) == 5 and header[:1] == _VERSION else None
        if key is None:
            raise SealError("sealed value was not made with this key")
        try:
            return key.subkey(purpose).decrypt(nonce, ciphertext, header + context)
        except InvalidTag as exc:
            raise SealError("sealed value does not open") from exc

    def is_current(self, sealed: bytes) -> bool:
        """Whether ``sealed`` was made under the current key (a rotation re-seals the rest)."""
        return sealed[1:5] == self._ring[0].key_id

    def reseal(self, purpose: str, sealed: bytes, context: bytes = b"") -> bytes:
        """``sealed`` opened with whichever key made it and sealed again under the current key."""
        return self.seal(purpose, self.open(purpose, sealed, context), context)


def decode_master_key(text: str) -> bytes:
    """The master key from its base64 (or 64-hex-digit) text form."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise MasterKeyError("IAMD_MASTER_KEY must be 32 bytes in base64 or hex") from exc
    if len(key) != MASTER_KEY_SIZE:
        raise MasterKeyError("IAMD_MASTER_KEY must be 32 bytes in base64 or hex")
    return key


def read_key_file(path: Path) -> bytes:
    """The master key from its file (base64 or hex text)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise MasterKeyError(f"cannot read the master key file `{path}`: {exc.strerror}") from None
    try:
        return decode_master_key(text)
    except MasterKeyError:
        raise MasterKeyError(f"the master key file `{path}` does not hold a 32-byte key in base64 or hex") from None


def create_key_file(path: Path, random_bytes: Callable[[int], bytes] = os.urandom) -> bytes:
    """A new master key, written to ``path`` with mode 0600; an existing file is an error."""
    key = random_bytes(MASTER_KEY_SIZE)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")
    return key
