"""Identifiers in AWS's formats: unique ids, access key ids, secrets, account ids.

AWS unique ids are a four-letter prefix naming the kind of entity followed by upper-case
letters and digits (21 characters in all); access key ids are 20 characters (``AKIA`` for
long-term keys, ``ASIA`` for temporary ones); secret access keys are 40 characters of
base64's alphabet.
"""

from __future__ import annotations

from collections.abc import Callable

RandomBytes = Callable[[int], bytes]

# Every 4-letter prefix AWS uses for the unique id of an entity kind.
PREFIXES = {
    "user": "AIDA",
    "group": "AGPA",
    "role": "AROA",
    "policy": "ANPA",
    "instance-profile": "AIPA",
    "access-key": "AKIA",
    "temporary-access-key": "ASIA",
    "server-certificate": "ASCA",
    "ssh-public-key": "APKA",
    "service-specific-credential": "ACCA",
    "mfa": "AMFA",
}

_UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # base32: 32 symbols, no bias from a byte
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _draw(alphabet: str, length: int, random_bytes: RandomBytes) -> str:
    size = len(alphabet)
    assert 256 % size == 0, "alphabet size must divide 256 to avoid bias"
    return "".join(alphabet[b % size] for b in random_bytes(length))


_UUID_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def uuid4(random_bytes: RandomBytes) -> str:
    """A random (version 4) UUID in its text form, as AWS request ids and CloudTrail event
    ids are; formatted by hand, which costs a third of ``str(uuid.uuid4())``."""
    h = random_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_UUID_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def unique_id(kind: str, random_bytes: RandomBytes) -> str:
    """A 21-character unique id such as ``AIDAJQABLZS4A3QDU576Q`` for a user."""
    return PREFIXES[kind] + _draw(_UPPER_DIGITS, 17, random_bytes)


def access_key_id(random_bytes: RandomBytes, temporary: bool = False) -> str:
    prefix = PREFIXES["temporary-access-key" if temporary else "access-key"]
    return prefix + _draw(_UPPER_DIGITS, 16, random_bytes)


def secret_access_key(random_bytes: RandomBytes) -> str:
    return _draw(_SECRET_ALPHABET, 40, random_bytes)


def account_id(random_bytes: RandomBytes) -> str:
    """A 12-digit account id that does not start with 0 (AWS's never do)."""
    return str(10**11 + int.from_bytes(random_bytes(8), "big") % (9 * 10**11))
