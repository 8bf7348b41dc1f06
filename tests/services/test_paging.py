"""Markers: what a client sends back must be one this server made."""

from __future__ import annotations

import pytest

from iamd.protocol.errors import InvalidInput
from iamd.services.paging import decode_marker, encode_marker


def test_a_marker_of_characters_outside_base64_is_refused() -> None:
    for bad in ("%%", "x", "", "====", "YWJj*"):
        with pytest.raises(InvalidInput, match="Invalid Marker."):
            decode_marker(bad)
    assert decode_marker(encode_marker("user-00042")) == "user-00042"
