"""The store remembers which master key sealed its secrets.

Secret access keys, MFA seeds and private keys are sealed under the master key, so a
server started with another key (a lost ``master.key``, a mistyped ``IAMD_MASTER_KEY``)
could open none of them, and would seal new secrets under a key that the old ones do not
share. The store keeps the key's check value (``SecretBox.check_value``); a start whose
key does not match it is refused before anything is written.
"""

from __future__ import annotations

import hmac

from iamd.services.accounts import open_secret
from iamd.services.crypto import SealError, SecretBox
from iamd.store import Database

KEY_CHECK = "master_key_check"


class MasterKeyMismatch(Exception):
    """The master key is not the one that sealed this store's secrets."""


def confirm_master_key(db: Database, box: SecretBox) -> None:
    """Refuse ``box`` unless its key sealed this store's secrets; remember the key of a
    store that has no check value yet (a new store, or one made before check values)."""
    expected = box.check_value()
    with db.transaction() as unit:
        stored = unit.meta.get(KEY_CHECK)
        if stored is not None:
            # A rotation that has begun but not finished (``iamd keys rotate``) leaves the
            # previous key's check value: a box that still holds that key opens the store.
            accepted = [expected, *box.previous_check_values()]
            if not any(hmac.compare_digest(stored, value) for value in accepted):
                raise MasterKeyMismatch(
                    "the master key is not the one this store's secrets were sealed with"
                )
            return
        # A store from before check values: the key must open a root access key's secret.
        for account in unit.accounts.list()[:1]:
            for record in unit.access_keys.list_for(account.id, None)[:1]:
                try:
                    open_secret(box, record)
                except SealError:
                    raise MasterKeyMismatch(
                        "the master key does not open this store's sealed secrets"
                    ) from None
        unit.meta.put(KEY_CHECK, expected)


def stored_check_value(db: Database) -> str | None:
    """The check value of the key the store's secrets are sealed with (None: not recorded)."""
    with db.reading() as unit:
        return unit.meta.get(KEY_CHECK)


def record_master_key(db: Database, box: SecretBox) -> None:
    """Remember ``box``'s current key as the store's key (the end of a rotation)."""
    with db.transaction() as unit:
        unit.meta.put(KEY_CHECK, box.check_value())
