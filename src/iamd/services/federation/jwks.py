"""Where an OpenID Connect issuer's signing keys come from.

As AWS does, iamd reads the issuer's discovery document
(``<iss>/.well-known/openid-configuration``), follows its ``jwks_uri`` and keeps the JWK
set for an hour; a token naming a key the cached set lacks makes it fetch again (at most
once a minute per issuer), so key rotation works. Fetches are HTTPS only, with short
timeouts and a size limit. The server's certificate must chain to a trusted CA or, when
it does not (a private IdP, the built-in test IdP with its self-signed certificate), its
SHA-1 thumbprint must be in the provider's ThumbprintList.

For offline use a deployment can configure JWK sets per issuer (``IAMD_OIDC_JWKS_FILE``, a
JSON object ``{"<issuer>": {"keys": [...]}}``): those issuers are never fetched.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TTL_SECONDS = 3600
REFETCH_SECONDS = 60
TIMEOUT_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 512 * 1024


class FetchError(Exception):
    """The issuer could not be reached (a network failure or a timeout)."""


class KeysUnavailable(Exception):
    """The issuer answered, but not with a usable discovery document or JWK set."""


class ThumbprintMismatch(Exception):
    """The issuer's certificate is not trusted and matches none of the thumbprints."""


def normalise_issuer(issuer: str) -> str:
    return issuer.rstrip("/")


def https_get(url: str, thumbprints: Sequence[str], timeout: float = TIMEOUT_SECONDS) -> Any:
    """GET a JSON document over HTTPS, trusting the system CAs or a pinned thumbprint."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise KeysUnavailable(f"not an https URL: {url}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    port = parts.port or 443
    try:
        try:
            connection = _connect(parts.hostname, port, timeout, ssl.create_default_context())
        except ssl.SSLCertVerificationError:
            if not thumbprints:
                raise ThumbprintMismatch(url) from None
            unverified = ssl.create_default_context()
            unverified.check_hostname = False
            unverified.verify_mode = ssl.CERT_NONE
            connection = _connect(parts.hostname, port, timeout, unverified)
            assert connection.sock is not None
            der = connection.sock.getpeercert(binary_form=True) or b""
            if hashlib.sha1(der).hexdigest() not in {t.lower() for t in thumbprints}:
                connection.close()
                raise ThumbprintMismatch(url) from None
        try:
            connection.request("GET", path, headers={"Accept": "application/json", "User-Agent": "iamd"})
            response = connection.getresponse()
            body = response.read(MAX_DOCUMENT_BYTES + 1)
        finally:
            connection.close()
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, ThumbprintMismatch):
            raise
        raise FetchError(f"{url}: {exc}") from None
    if response.status != 200 or len(body) > MAX_DOCUMENT_BYTES:
        raise KeysUnavailable(f"{url} answered {response.status}")
    try:
        return json.loads(body)
    except ValueError:
        raise KeysUnavailable(f"{url} did not answer JSON") from None


def _connect(host: str, port: int, timeout: float, context: ssl.SSLContext) -> http.client.HTTPSConnection:
    connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    try:
        connection.connect()
    except (TimeoutError, ssl.SSLCertVerificationError, OSError):
        connection.close()
        raise
    return connection


Fetcher = Callable[[str, Sequence[str]], Any]


@dataclass
class _Entry:
    keys: list[dict[str, Any]]
    fetched_at: float


@dataclass
class KeySource:
    """The JWK sets of issuers: configured ones, and fetched ones cached per issuer."""

    offline: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fetch: Fetcher = https_get
    fetching_enabled: bool = True
    # Keyed by issuer and thumbprints: keys fetched under one pinning are not trusted under another.
    _cache: dict[tuple[str, tuple[str, ...]], _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self, issuer: str, thumbprints: Sequence[str], now: float, *, stale: bool = False) -> list[dict[str, Any]]:
        """The issuer's keys. ``stale=True``: the cached set lacked the token's key, so fetch
        again unless the last fetch was within ``REFETCH_SECONDS``."""
        issuer = normalise_issuer(issuer)
        configured = self.offline.get(issuer)
        if configured is not None:
            return _keys_of(configured)
        cache_key = (issuer, tuple(sorted(t.lower() for t in thumbprints)))
        entry = self._cache.get(cache_key)
        if entry is not None:
            age = now - entry.fetched_at
            if age < TTL_SECONDS and not (stale and age >= REFETCH_SECONDS):
                return entry.keys
        if not self.fetching_enabled:
            raise KeysUnavailable(f"fetching keys is disabled and none are configured for {issuer}")
        discovery = self.fetch(issuer + "/.well-known/openid-configuration", thumbprints)
        jwks_uri = discovery.get("jwks_uri") if isinstance(discovery, dict) else None
        if not isinstance(jwks_uri, str):
            raise KeysUnavailable(f"the discovery document of {issuer} has no jwks_uri")
        keys = _keys_of(self.fetch(jwks_uri, thumbprints))
        with self._lock:
            self._cache[cache_key] = _Entry(keys, now)
        return keys

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


def _keys_of(document: Any) -> list[dict[str, Any]]:
    keys = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
        raise KeysUnavailable("not a JWK set")
    return list(keys)


def load_offline(path: Path) -> dict[str, Mapping[str, Any]]:
    """The JWK sets of ``IAMD_OIDC_JWKS_FILE``, keyed by issuer (trailing ``/`` ignored)."""
    document = json.loads(path.read_text())
    if not isinstance(document, dict):
        raise KeysUnavailable(f"{path} must hold a JSON object of issuer -> JWK set")
    for jwks in document.values():
        _keys_of(jwks)
    return {normalise_issuer(issuer): jwks for issuer, jwks in document.items()}


_DEFAULT = KeySource()


def default_source() -> KeySource:
    """The process's key source (the server configures it once at start-up)."""
    return _DEFAULT


def configure(offline: Mapping[str, Mapping[str, Any]] | None = None, fetching_enabled: bool = True) -> None:
    _DEFAULT.offline = dict(offline or {})
    _DEFAULT.fetching_enabled = fetching_enabled
    _DEFAULT.forget()
