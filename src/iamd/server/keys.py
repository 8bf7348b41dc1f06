"""Master-key rotation: new key files, re-sealing every stored secret, and a running server
picking up the new key.

Delivery by key file (the default): ``iamd keys rotate`` writes the new key to
``master.key`` and the one it replaces to ``master.key.old`` (each atomically: a temporary
file renamed over the old one), waits ``grace`` seconds so that running servers, which look
at ``master.key`` every second (``KeyFileWatcher``), seal new secrets under the new key,
then re-seals every stored secret under the new key and records the new key's check value
in the store. ``master.key.old`` keeps opening what the old key sealed and the store does
not hold: session tokens, encoded authorization messages.

Delivery by environment (``IAMD_MASTER_KEY``, the new key, and ``IAMD_MASTER_KEY_OLD``, the
key it replaces): every server is restarted with both, then ``iamd keys rotate`` with the
same two variables re-seals the store. An environment cannot change under a running
process, so this way needs a rolling restart; the store opens with either key meanwhile.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from iamd.server.settings import Settings
from iamd.services.accounts import ACCESS_KEY_SECRET
from iamd.services.crypto import MASTER_KEY_SIZE, MasterKeyError, SecretBox, read_key_file
from iamd.services.federation.outbound_tokens import KEY_PURPOSE as SIGNING_KEY_PURPOSE
from iamd.services.federation.saml_providers import KEY_PURPOSE as SAML_KEY_PURPOSE
from iamd.services.iam.mfa import SEED_PURPOSE
from iamd.services.iam.server_certificates import PRIVATE_KEY_PURPOSE
from iamd.services.iam.service_credentials import SEAL_PURPOSE
from iamd.services.master_key import record_master_key, stored_check_value
from iamd.store import Database

log = logging.getLogger("iamd.keys")

KEY_FILE = "master.key"
OLD_KEY_FILE = "master.key.old"
# How often a running server looks at its key file, and so the least grace a rotation gives.
WATCH_INTERVAL = 1.0
DEFAULT_GRACE = 2.5 * WATCH_INTERVAL
BATCH = 200

# store kind (iamd.store.sealed) -> the purpose its values are sealed for
_PURPOSES = {
    "access-key-secret": ACCESS_KEY_SECRET,
    "mfa-seed": SEED_PURPOSE,
    "server-certificate-key": PRIVATE_KEY_PURPOSE,
    "service-specific-credential": SEAL_PURPOSE,
    "web-identity-signing-key": SIGNING_KEY_PURPOSE,
}


class RotationError(Exception):
    """The rotation cannot start; the message is one line for the operator."""


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode()


def write_key_atomically(path: Path, key: bytes) -> None:
    """Write ``key`` to ``path`` (mode 0600) so that a reader sees the old file or the new
    one, never a part: a temporary file, flushed to disk, renamed over ``path``."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(encode_key(key) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def previous_keys(settings: Settings, data_dir: Path, key_from_env: bool) -> list[bytes]:
    """The keys a rotation replaced, which still open what they sealed: IAMD_MASTER_KEY_OLD
    beside IAMD_MASTER_KEY, else ``master.key.old`` beside ``master.key``."""
    from iamd.services.crypto import decode_master_key

    if key_from_env:
        return [decode_master_key(settings.master_key_old)] if settings.master_key_old else []
    old_file = data_dir / OLD_KEY_FILE
    return [read_key_file(old_file)] if old_file.exists() else []


class KeyFileWatcher:
    """Makes a running server seal under the key a rotation wrote to ``master.key``: looks
    at the file every ``interval`` seconds and, when it changed, loads it and
    ``master.key.old`` into the box."""

    def __init__(self, box: SecretBox, data_dir: Path, interval: float = WATCH_INTERVAL) -> None:
        self._box = box
        self._data_dir = data_dir
        self._interval = interval
        self._seen = self._stamp()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="iamd-key-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            found = (self._data_dir / KEY_FILE).stat()
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns, found.st_size

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.check()

    def check(self) -> None:
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return
        try:
            key = read_key_file(self._data_dir / KEY_FILE)
            old_file = self._data_dir / OLD_KEY_FILE
            old = [read_key_file(old_file)] if old_file.exists() else []
        except MasterKeyError as exc:
            log.error("the master key file changed but cannot be used: %s", exc)
            return
        self._seen = stamp
        self._box.use_keys(key, old)
        log.warning("master key changed: new secrets are sealed under key %s", self._box.key_id.hex())


@dataclass
class RotationResult:
    key_id: str
    resealed: int
    new_key_written: bool


def rotate(
    db: Database,
    box: SecretBox,
    *,
    data_dir: Path | None,
    random_bytes: Callable[[int], bytes],
    grace: float = DEFAULT_GRACE,
    sleep: Callable[[float], None] = time.sleep,
) -> RotationResult:
    """Rotate the master key of an opened store.

    ``data_dir`` set (key-file delivery): a new key is made and written unless a rotation
    was left unfinished (the store still names the previous key), which is then finished.
    ``data_dir`` None (environment delivery): ``box`` already holds the new key and the
    previous one; the store is re-sealed under the new key.
    """
    stored = stored_check_value(db)
    unfinished = stored is not None and stored != box.check_value()
    written = False
    if data_dir is not None and not unfinished:
        key_file = data_dir / KEY_FILE
        current = read_key_file(key_file)
        old_file = data_dir / OLD_KEY_FILE
        # Values a server sealed under the key before this one, after the last rotation's
        # pass, still open here: they are re-sealed below.
        older = [read_key_file(old_file)] if old_file.exists() else []
        new = random_bytes(MASTER_KEY_SIZE)
        write_key_atomically(old_file, current)
        write_key_atomically(key_file, new)
        written = True
        box.use_keys(new, [current, *older])
        sleep(grace)
    elif data_dir is None and not unfinished and not box.previous_check_values():
        raise RotationError(
            "nothing to rotate: set IAMD_MASTER_KEY to the new key and IAMD_MASTER_KEY_OLD to "
            "the store's current key (`iamd keys generate` makes a key)"
        )
    resealed = reseal_all(db, box)
    record_master_key(db, box)
    return RotationResult(box.key_id.hex(), resealed, written)


def reseal_all(db: Database, box: SecretBox) -> int:
    """Re-seal under ``box``'s current key every stored secret another key sealed, in
    batches of short write transactions: each batch reads and rewrites its rows under the
    write lock, so a secret changed meanwhile (a credential reset) is never overwritten,
    and a running server's writes wait for one batch at most."""
    count = 0
    for kind, purpose in _PURPOSES.items():
        after = ""
        while True:
            with db.transaction() as unit:
                rows = list(unit.sealed.values(kind, after, BATCH))
                for row_id, sealed in rows:
                    if not box.is_current(sealed):
                        unit.sealed.replace(kind, row_id, box.reseal(purpose, sealed, row_id.encode()))
                        count += 1
            if len(rows) < BATCH:
                break
            after = rows[-1][0]
    with db.reading() as unit:
        arns = unit.sealed.saml_provider_arns()
    for arn in arns:
        with db.transaction() as unit:
            text = unit.sealed.saml_private_keys(arn)
            keys = json.loads(text) if text else []
            changed = False
            for key in keys:
                sealed = base64.b64decode(key["Sealed"])
                if not box.is_current(sealed):
                    context = f"{arn}/{key['KeyId']}".encode()
                    key["Sealed"] = base64.b64encode(box.reseal(SAML_KEY_PURPOSE, sealed, context)).decode()
                    changed = True
                    count += 1
            if changed:
                unit.sealed.replace_saml_private_keys(arn, json.dumps(keys))
    return count
