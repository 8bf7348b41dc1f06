from __future__ import annotations

from datetime import UTC, datetime

import pytest

from iamd.protocol.errors import ExpiredToken, InvalidClientTokenId
from iamd.services import sessions
from iamd.services.crypto import SecretBox
from iamd.services.runtime import Runtime


def _session(**overrides: object) -> sessions.Session:
    values: dict[str, object] = dict(
        kind="AssumedRole", account_id="123456789012", access_key_id="ASIAEXAMPLE000000000",
        secret_access_key="x" * 40, issued_at=1_700_000_000, expires_at=1_700_003_600,
        role_id="AROAEXAMPLE", role_name="r", session_name="s", tags={"team": "blue"},
        policy='{"Version":"2012-10-17","Statement":[]}',
    )
    values.update(overrides)
    return sessions.Session(**values)  # type: ignore[arg-type]


def test_round_trip_and_expiry() -> None:
    box = SecretBox(bytes(32))
    session = _session()
    token = sessions.issue(box, session)
    assert "blue" not in token and session.secret_access_key not in token
    opened = sessions.open_token(box, session.access_key_id, token, datetime.fromtimestamp(1_700_000_100, UTC))
    assert opened == session
    with pytest.raises(ExpiredToken):
        sessions.open_token(box, session.access_key_id, token, datetime.fromtimestamp(1_700_003_600, UTC))


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2],
    lambda t: "A" + t[1:] if t[0] != "A" else "B" + t[1:],
    lambda t: "not base64 at all!",
])
def test_tampered_tokens_are_invalid(mangle) -> None:  # type: ignore[no-untyped-def]
    box = SecretBox(bytes(32))
    session = _session()
    token = mangle(sessions.issue(box, session))
    with pytest.raises(InvalidClientTokenId):
        sessions.open_token(box, session.access_key_id, token, datetime.fromtimestamp(1_700_000_100, UTC))


def test_token_is_bound_to_its_key_id() -> None:
    box = SecretBox(bytes(32))
    token = sessions.issue(box, _session())
    with pytest.raises(InvalidClientTokenId):
        sessions.open_token(box, "ASIAOTHER00000000000", token, datetime.fromtimestamp(1_700_000_100, UTC))


def test_temporary_key_ids_carry_their_account() -> None:
    runtime = Runtime()
    for account in ("000000000001", "123456789012", "999999999999"):
        key_id, secret = sessions.new_key_pair(runtime, account)
        assert key_id.startswith("ASIA") and len(key_id) == 20 and len(secret) == 40
        assert sessions.account_of_temporary_key(key_id) == account
    assert sessions.account_of_temporary_key("ASIA!!!") is None


def test_packed_size_grows_with_content() -> None:
    assert sessions.packed_size(None, [], {}) == 0
    small = sessions.packed_size('{"Version":"2012-10-17"}', [], {})
    large = sessions.packed_size('{"Version":"2012-10-17","Statement":[' + ",".join(
        f'{{"Effect":"Allow","Action":"svc{i}:Act{i * 7}","Resource":"arn:aws:s3:::b{i * 13}"}}' for i in range(40)
    ) + "]}", [], {})
    assert 0 < small < large
