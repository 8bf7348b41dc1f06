"""Configuration, read once at the edge from the environment and the command line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from iamd.services.quotas import Quotas

DEFAULT_PORT = 8600
DEFAULT_HOST = "127.0.0.1"
DEFAULT_DATA_DIR = Path("iamd-data")

# A root access key id from the environment may be any word of up to 128 characters, so
# test set-ups written for other emulators (``test``, ``testing``, ``FOOBARKEY``) work as
# they are; keys iamd generates are always AWS-shaped.
ROOT_KEY_ID = re.compile(r"[A-Za-z0-9_]{1,128}")
AWS_SHAPED_KEY_ID = re.compile(r"AKIA[A-Z0-9]{16}")


class SettingsError(Exception):
    """A setting has a value iamd cannot use."""


def _port(text: str | None, default: int) -> int:
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"IAMD_PORT `{text}` must be a number.") from None


def _seconds(name: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} `{text}` must be a number of seconds.") from None
    if not 0 <= value <= 3600:
        raise SettingsError(f"{name} `{text}` must be from 0 to 3600 seconds.")
    return value


def _quotas(environ: Mapping[str, str]) -> Quotas:
    try:
        return Quotas.from_env(environ)
    except ValueError as exc:
        raise SettingsError(f"Bad quota setting: {exc}") from None


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    ephemeral: bool = False
    master_key: str | None = None
    # The key a rotation replaced (beside IAMD_MASTER_KEY): still opens what it sealed.
    master_key_old: str | None = None
    account_id: str | None = None
    root_access_key_id: str | None = None
    root_secret_access_key: str | None = None
    root_email: str | None = None
    root_password: str | None = None
    admin_token: str | None = None
    enforcement: str = "enforce"
    log_level: str = "info"
    quotas: Quotas = field(default_factory=Quotas)
    # IAMD_AUDIT=off exists only to measure the audit log's cost (bench/audit_overhead.py).
    audit: bool = True
    # JWK sets of OpenID Connect issuers for offline use (AssumeRoleWithWebIdentity).
    oidc_jwks_file: Path | None = None
    # How often each process reads the store's state version to see other processes'
    # changes (IAMD_STATE_POLL_INTERVAL, seconds). Unset: every 0.5 s, or on PostgreSQL
    # every 5 s while its LISTEN/NOTIFY listener is connected (changes arrive by NOTIFY).
    state_poll_interval: float | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = environ.get(name)
            return value if value else None

        settings = cls(
            host=get("IAMD_HOST") or cls.host,
            port=_port(get("IAMD_PORT"), cls.port),
            data_dir=Path(get("IAMD_DATA_DIR") or cls.data_dir),
            database_url=get("IAMD_DATABASE_URL"),
            master_key=get("IAMD_MASTER_KEY"),
            master_key_old=get("IAMD_MASTER_KEY_OLD"),
            account_id=get("IAMD_ACCOUNT_ID"),
            root_access_key_id=get("IAMD_ROOT_ACCESS_KEY_ID"),
            root_secret_access_key=get("IAMD_ROOT_SECRET_ACCESS_KEY"),
            root_email=get("IAMD_ROOT_EMAIL"),
            root_password=get("IAMD_ROOT_PASSWORD"),
            admin_token=get("IAMD_ADMIN_TOKEN"),
            enforcement=get("IAMD_ENFORCEMENT") or cls.enforcement,
            log_level=get("IAMD_LOG_LEVEL") or cls.log_level,
            quotas=_quotas(environ),
            audit=(get("IAMD_AUDIT") or "on").lower() not in ("off", "0", "false", "no"),
            oidc_jwks_file=Path(value) if (value := get("IAMD_OIDC_JWKS_FILE")) else None,
            state_poll_interval=_seconds("IAMD_STATE_POLL_INTERVAL", get("IAMD_STATE_POLL_INTERVAL")),
        )
        settings.check()
        return settings

    def warnings(self) -> list[str]:
        """What is accepted but worth a word to the operator."""
        found = []
        if self.root_access_key_id is not None and not AWS_SHAPED_KEY_ID.fullmatch(self.root_access_key_id):
            found.append(
                f"IAMD_ROOT_ACCESS_KEY_ID `{self.root_access_key_id}` is not shaped like an AWS "
                "access key id (AKIA and 16 upper-case letters or digits); accepted as given"
            )
        return found

    def with_overrides(self, **overrides: object) -> Settings:
        chosen = {k: v for k, v in overrides.items() if v is not None}
        settings = replace(self, **chosen)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        if self.account_id is not None and not re.fullmatch(r"[0-9]{12}", self.account_id):
            raise SettingsError(f"IAMD_ACCOUNT_ID `{self.account_id}` must be 12 digits.")
        if (self.root_access_key_id is None) != (self.root_secret_access_key is None):
            raise SettingsError(
                "Set both IAMD_ROOT_ACCESS_KEY_ID and IAMD_ROOT_SECRET_ACCESS_KEY, or neither."
            )
        if self.root_access_key_id is not None and not ROOT_KEY_ID.fullmatch(self.root_access_key_id):
            raise SettingsError(
                "IAMD_ROOT_ACCESS_KEY_ID must be 1 to 128 letters, digits or underscores."
            )
        if self.enforcement not in ("enforce", "soft"):
            raise SettingsError(f"Enforcement `{self.enforcement}` must be `enforce` or `soft`.")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"Port `{self.port}` must be from 0 to 65535.")
