from pathlib import Path

import pytest

from iamd.server.settings import Settings, SettingsError


def test_from_env_reads_every_variable() -> None:
    settings = Settings.from_env(
        {
            "IAMD_PORT": "9000",
            "IAMD_DATA_DIR": "/tmp/x",
            "IAMD_ACCOUNT_ID": "123456789012",
            "IAMD_ROOT_ACCESS_KEY_ID": "AKIAEXAMPLE000000000",
            "IAMD_ROOT_SECRET_ACCESS_KEY": "s" * 40,
            "IAMD_ENFORCEMENT": "soft",
        }
    )
    assert settings.port == 9000
    assert settings.data_dir == Path("/tmp/x")
    assert settings.account_id == "123456789012"
    assert settings.enforcement == "soft"


@pytest.mark.parametrize(
    "environ",
    [
        {"IAMD_ACCOUNT_ID": "12345"},
        {"IAMD_ROOT_ACCESS_KEY_ID": "AKIAEXAMPLE000000000"},
        {"IAMD_ENFORCEMENT": "maybe"},
    ],
)
def test_bad_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(environ)


def test_overrides_ignore_none() -> None:
    settings = Settings.from_env({}).with_overrides(port=None, host="0.0.0.0")
    assert settings.host == "0.0.0.0"
    assert settings.port == Settings.port


def test_state_poll_interval() -> None:
    assert Settings.from_env({}).state_poll_interval is None
    assert Settings.from_env({"IAMD_STATE_POLL_INTERVAL": "30"}).state_poll_interval == 30.0
    for bad in ("soon", "-1", "4000"):
        with pytest.raises(SettingsError, match="IAMD_STATE_POLL_INTERVAL"):
            Settings.from_env({"IAMD_STATE_POLL_INTERVAL": bad})
