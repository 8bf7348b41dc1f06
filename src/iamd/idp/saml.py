"""The test IdP's SAML 2.0 side (filled in below)."""

from __future__ import annotations

from iamd.idp.keys import IdpState


def metadata(state: IdpState) -> str:
    raise NotImplementedError
