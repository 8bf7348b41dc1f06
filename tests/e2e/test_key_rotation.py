"""``iamd keys rotate``: every stored secret re-sealed under a new master key while the
server runs; what the old key sealed (tokens already issued) still opens; the old key
alone no longer opens the store."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from iamd.services.crypto import SecretBox, read_key_file
from tests.e2e.conftest import RunningServer, start_server, stop_server
from tests.e2e.federation.saml_idp import SamlIdp
from tests.e2e.iam.test_server_certificates import rsa_pair


def _iamd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IAMD_")}
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli", *args], capture_output=True, text=True, timeout=120, check=False,
        env={**clean, **(env or {})}, stdin=subprocess.DEVNULL,
    )


# table, the row id that is also the sealing context, sealed column, purpose
SEALED = (
    ("access_keys", "access_key_id", "secret_sealed", "access-key-secret"),
    ("mfa_devices", "serial_number", "seed_sealed", "mfa-seed"),
    ("service_specific_credentials", "id", "password_sealed", "service-specific-credential"),
    ("server_certificates", "id", "private_key_sealed", "server-certificate-key"),
    ("web_identity_signing_keys", "key_id", "private_key_sealed", "web-identity-signing-key"),
)


def _sealed_values(database: Path) -> list[tuple[str, bytes, bytes]]:
    """(purpose, context, sealed value) of every secret the store holds."""
    found = []
    with sqlite3.connect(database) as connection:
        for table, row_id, column, purpose in SEALED:
            query = f"SELECT {row_id}, {column} FROM {table} WHERE {column} IS NOT NULL"
            for context, sealed in connection.execute(query):
                found.append((purpose, context.encode(), bytes(sealed)))
        for arn, keys in connection.execute("SELECT arn, private_keys FROM saml_providers"):
            for key in json.loads(keys):
                found.append(("saml-provider-private-key", f"{arn}/{key['KeyId']}".encode(),
                              base64.b64decode(key["Sealed"])))
    return found


def _key_ids(database: Path) -> set[bytes]:
    """The key id of every sealed value the store holds (byte 1 to 4 of each)."""
    return {sealed[1:5] for _, _, sealed in _sealed_values(database)}


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def _works(server: RunningServer, key: dict[str, str], token: str | None = None) -> bool:
    try:
        server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
                      session_token=token).get_caller_identity()
    except ClientError:
        return False
    return True


def test_rotate_while_serving_then_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    database = data_dir / "iamd.sqlite3"
    server = start_server(["--data-dir", str(data_dir)], {})
    try:
        iam = server.client("iam")
        iam.create_user(UserName="alice")
        iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        old_key = iam.create_access_key(UserName="alice")["AccessKey"]
        iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-mfa")
        iam.create_service_specific_credential(UserName="alice", ServiceName="codecommit.amazonaws.com")
        certificate, private_key = rsa_pair()
        iam.upload_server_certificate(ServerCertificateName="web", CertificateBody=certificate, PrivateKey=private_key)
        idp = SamlIdp()
        pem = idp.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        iam.create_saml_provider(Name="corp", SAMLMetadataDocument=idp.metadata(), AddPrivateKey=pem)
        iam.enable_outbound_web_identity_federation()
        first_token = server.client("sts").get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384")
        session = server.client("sts", access_key_id=old_key["AccessKeyId"],
                                secret_access_key=old_key["SecretAccessKey"]).get_session_token()["Credentials"]
        old_master = read_key_file(data_dir / "master.key")
        old_id = SecretBox(old_master).key_id
        assert _key_ids(database) == {old_id}

        rotated = _iamd("keys", "rotate", "--data-dir", str(data_dir), "--grace", "2.5")
        assert rotated.returncode == 0, rotated.stderr
        # root's key, alice's key, the seed, the password, the certificate's, the SAML key
        # and the web identity token signing key
        assert "re-sealed 7 secrets" in rotated.stdout
        new_master = read_key_file(data_dir / "master.key")
        new_id = SecretBox(new_master).key_id
        assert new_master != old_master and read_key_file(data_dir / "master.key.old") == old_master
        assert _key_ids(database) == {new_id}
        # Each value opens with the new key alone, bound to its own record as before.
        new_box = SecretBox(new_master)
        opened = [new_box.open(purpose, sealed, context) for purpose, context, sealed in _sealed_values(database)]
        assert private_key.encode() in opened and pem.strip().encode() in opened

        # The running server: re-sealed secrets, the old session token, and a secret it
        # makes now (sealed under the new key, which it picked up from master.key).
        assert _works(server, old_key)
        assert _works(server, session, session["SessionToken"])
        new_key = iam.create_access_key(UserName="alice")["AccessKey"]
        assert _works(server, new_key)
        assert _key_ids(database) == {new_id}
        # The signing key survived the rotation: new tokens name the same key.
        token = server.client("sts").get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384")
        assert _kid(token["WebIdentityToken"]) == _kid(first_token["WebIdentityToken"])
    finally:
        stop_server(server)

    server = start_server(["--data-dir", str(data_dir)], {})
    try:
        assert _works(server, old_key) and _works(server, new_key)
        assert _works(server, session, session["SessionToken"])
    finally:
        stop_server(server)

    # The old key alone is refused, and the store is left as it was.
    refused = _iamd("accounts", "list", "--data-dir", str(data_dir),
                    env={"IAMD_MASTER_KEY": base64.b64encode(old_master).decode()})
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: the master key is not the one this store's secrets were sealed with")
    # Without master.key.old, tokens sealed under the old key no longer open, and the
    # store's own secrets still do (they were all re-sealed).
    (data_dir / "master.key.old").unlink()
    server = start_server(["--data-dir", str(data_dir)], {})
    try:
        assert _works(server, old_key)
        assert not _works(server, session, session["SessionToken"])
    finally:
        stop_server(server)


def test_rotation_by_environment(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    old = base64.b64encode(bytes(range(32))).decode()
    new = _iamd("keys", "generate").stdout.strip()
    assert len(base64.b64decode(new)) == 32
    created = _iamd("accounts", "create", "--data-dir", str(data_dir), "--json", env={"IAMD_MASTER_KEY": old})
    assert created.returncode == 0, created.stderr
    assert not (data_dir / "master.key").exists()

    nothing = _iamd("keys", "rotate", "--data-dir", str(data_dir), env={"IAMD_MASTER_KEY": old})
    assert nothing.returncode == 1 and nothing.stderr.startswith("error: nothing to rotate")
    # Servers restarted with both keys open the store before the rotation has run.
    both = {"IAMD_MASTER_KEY": new, "IAMD_MASTER_KEY_OLD": old}
    assert _iamd("accounts", "list", "--data-dir", str(data_dir), env=both).returncode == 0
    rotated = _iamd("keys", "rotate", "--data-dir", str(data_dir), env=both)
    assert rotated.returncode == 0, rotated.stderr
    assert "re-sealed 1 secret under key" in rotated.stdout
    assert _iamd("accounts", "list", "--data-dir", str(data_dir), env={"IAMD_MASTER_KEY": new}).returncode == 0
    refused = _iamd("accounts", "list", "--data-dir", str(data_dir), env={"IAMD_MASTER_KEY": old})
    assert refused.returncode == 1 and "not the one" in refused.stderr


@pytest.mark.parametrize("grace", ["0"])
def test_an_unfinished_rotation_is_finished_not_restarted(tmp_path: Path, grace: str) -> None:
    """A rotation stopped after writing the key files (the store still names the old key)
    is finished by the next run, which makes no third key: the old one is still needed."""
    from iamd.server.keys import OLD_KEY_FILE, write_key_atomically

    data_dir = tmp_path / "data"
    assert _iamd("accounts", "create", "--data-dir", str(data_dir)).returncode == 0
    old_master = read_key_file(data_dir / "master.key")
    new_master = bytes(range(7, 39))
    write_key_atomically(data_dir / OLD_KEY_FILE, old_master)
    write_key_atomically(data_dir / "master.key", new_master)
    finished = _iamd("keys", "rotate", "--data-dir", str(data_dir), "--grace", grace)
    assert finished.returncode == 0, finished.stderr
    assert "new master key" not in finished.stdout and "re-sealed 1 secret" in finished.stdout
    assert read_key_file(data_dir / "master.key") == new_master
    assert read_key_file(data_dir / "master.key.old") == old_master
    assert _key_ids(data_dir / "iamd.sqlite3") == {SecretBox(new_master).key_id}
