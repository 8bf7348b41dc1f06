"""A user's SSH public keys, signing certificates and service-specific credentials."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import subprocess
import sys
from functools import cache
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of


@cache
def rsa_key(index: int, bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def openssh(key: Any) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def pem(key: Any) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def md5_fingerprint(ssh_text: str) -> str:
    digest = hashlib.md5(base64.b64decode(ssh_text.split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


@cache
def certificate(index: int) -> str:
    key = rsa_key(100 + index)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"iamd test {index}")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1000 + index)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def ssh_public_key() -> str:
    return openssh(rsa_key(0)) + " alice@example"


@pytest.fixture
def certificate_pem() -> str:
    return certificate(0)


# -- SSH public keys ------------------------------------------------------------------


def test_upload_and_get_ssh_public_key(iam: Any, ssh_public_key: str) -> None:
    iam.create_user(UserName="alice")
    uploaded = iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=ssh_public_key)["SSHPublicKey"]
    assert uploaded["UserName"] == "alice"
    assert uploaded["SSHPublicKeyId"].startswith("APKA") and len(uploaded["SSHPublicKeyId"]) == 21
    assert uploaded["Status"] == "Active"
    assert uploaded["SSHPublicKeyBody"] == ssh_public_key
    assert uploaded["Fingerprint"] == md5_fingerprint(ssh_public_key)
    got = iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=uploaded["SSHPublicKeyId"], Encoding="SSH")
    assert got["SSHPublicKey"] == uploaded
    as_pem = iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=uploaded["SSHPublicKeyId"], Encoding="PEM")
    assert as_pem["SSHPublicKey"]["SSHPublicKeyBody"] == pem(rsa_key(0))
    assert as_pem["SSHPublicKey"]["Fingerprint"] == uploaded["Fingerprint"]


def test_upload_pem_ssh_public_key(iam: Any) -> None:
    iam.create_user(UserName="alice")
    uploaded = iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=pem(rsa_key(1)))["SSHPublicKey"]
    assert uploaded["Fingerprint"] == md5_fingerprint(openssh(rsa_key(1)))
    got = iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=uploaded["SSHPublicKeyId"], Encoding="SSH")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"] == openssh(rsa_key(1))


def test_upload_ssh_public_key_errors(iam: Any, ssh_public_key: str) -> None:
    iam.create_user(UserName="alice")
    assert error_of(iam.upload_ssh_public_key, UserName="ghost", SSHPublicKeyBody=ssh_public_key) == (
        "NoSuchEntity", 404, "The user with name ghost cannot be found."
    )
    for body, code in [
        ("hello world", "UnrecognizedPublicKeyEncoding"),
        ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQnotakey", "InvalidPublicKey"),
        ("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n", "InvalidPublicKey"),
        (openssh(rsa_key(2, bits=1024)), "InvalidPublicKey"),
        (openssh(ed25519.Ed25519PrivateKey.generate()), "UnrecognizedPublicKeyEncoding"),
    ]:
        assert error_of(iam.upload_ssh_public_key, UserName="alice", SSHPublicKeyBody=body)[:2] == (code, 400), body
    iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=ssh_public_key)
    assert error_of(iam.upload_ssh_public_key, UserName="alice", SSHPublicKeyBody=pem(rsa_key(0)))[:2] == (
        "DuplicateSSHPublicKey", 400
    )
    iam.create_user(UserName="bob")  # another user may hold the same key
    iam.upload_ssh_public_key(UserName="bob", SSHPublicKeyBody=ssh_public_key)


def test_ssh_public_keys_per_user_quota(iam: Any) -> None:
    iam.create_user(UserName="alice")
    for i in range(5):
        iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(rsa_key(10 + i)))
    assert error_of(iam.upload_ssh_public_key, UserName="alice", SSHPublicKeyBody=openssh(rsa_key(15)))[:2] == (
        "LimitExceeded", 409
    )


def test_list_update_delete_ssh_public_keys(iam: Any, ssh_public_key: str) -> None:
    iam.create_user(UserName="alice")
    first = iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=ssh_public_key)["SSHPublicKey"]
    second = iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=openssh(rsa_key(1)))["SSHPublicKey"]
    listed = iam.list_ssh_public_keys(UserName="alice")["SSHPublicKeys"]
    assert [k["SSHPublicKeyId"] for k in listed] == [first["SSHPublicKeyId"], second["SSHPublicKeyId"]]
    assert set(listed[0]) == {"UserName", "SSHPublicKeyId", "Status", "UploadDate"}
    page = iam.list_ssh_public_keys(UserName="alice", MaxItems=1)
    assert page["IsTruncated"] is True
    assert iam.list_ssh_public_keys(UserName="alice", Marker=page["Marker"])["SSHPublicKeys"][0][
        "SSHPublicKeyId"] == second["SSHPublicKeyId"]
    iam.update_ssh_public_key(UserName="alice", SSHPublicKeyId=first["SSHPublicKeyId"], Status="Inactive")
    assert iam.get_ssh_public_key(UserName="alice", SSHPublicKeyId=first["SSHPublicKeyId"], Encoding="SSH")[
        "SSHPublicKey"]["Status"] == "Inactive"
    assert error_of(iam.update_ssh_public_key, UserName="alice", SSHPublicKeyId=first["SSHPublicKeyId"],
                    Status="Expired")[:2] == ("InvalidInput", 400)
    iam.delete_ssh_public_key(UserName="alice", SSHPublicKeyId=first["SSHPublicKeyId"])
    assert [k["SSHPublicKeyId"] for k in iam.list_ssh_public_keys(UserName="alice")["SSHPublicKeys"]] == [
        second["SSHPublicKeyId"]
    ]
    missing = first["SSHPublicKeyId"]
    message = f"The Public Key with id {missing} cannot be found."
    assert error_of(iam.delete_ssh_public_key, UserName="alice", SSHPublicKeyId=missing) == ("NoSuchEntity", 404, message)
    assert error_of(iam.update_ssh_public_key, UserName="alice", SSHPublicKeyId=missing, Status="Active") == (
        "NoSuchEntity", 404, message
    )
    assert error_of(iam.get_ssh_public_key, UserName="alice", SSHPublicKeyId=missing, Encoding="PEM") == (
        "NoSuchEntity", 404, message
    )
    iam.create_user(UserName="bob")  # another user's key is not found under bob
    assert error_of(iam.get_ssh_public_key, UserName="bob", SSHPublicKeyId=second["SSHPublicKeyId"],
                    Encoding="SSH")[0] == "NoSuchEntity"
    assert error_of(iam.list_ssh_public_keys, UserName="ghost")[0] == "NoSuchEntity"
    assert iam.list_ssh_public_keys()["SSHPublicKeys"] == []  # root has none


# -- signing certificates -------------------------------------------------------------


def test_upload_list_update_delete_signing_certificate(iam: Any, certificate_pem: str) -> None:
    iam.create_user(UserName="alice")
    cert = iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate_pem)["Certificate"]
    assert cert["UserName"] == "alice" and cert["Status"] == "Active"
    assert cert["CertificateBody"] == certificate_pem
    assert len(cert["CertificateId"]) == 32 and cert["CertificateId"].isupper() and cert["CertificateId"].isalnum()
    listed = iam.list_signing_certificates(UserName="alice")
    assert listed["Certificates"] == [cert] and listed["IsTruncated"] is False
    iam.update_signing_certificate(UserName="alice", CertificateId=cert["CertificateId"], Status="Inactive")
    assert iam.list_signing_certificates(UserName="alice")["Certificates"][0]["Status"] == "Inactive"
    iam.delete_signing_certificate(UserName="alice", CertificateId=cert["CertificateId"])
    assert iam.list_signing_certificates(UserName="alice")["Certificates"] == []
    message = f"The Certificate with id {cert['CertificateId']} cannot be found."
    assert error_of(iam.delete_signing_certificate, UserName="alice", CertificateId=cert["CertificateId"]) == (
        "NoSuchEntity", 404, message
    )
    assert error_of(iam.update_signing_certificate, UserName="alice", CertificateId=cert["CertificateId"],
                    Status="Active") == ("NoSuchEntity", 404, message)


def test_root_signing_certificates(iam: Any, certificate_pem: str) -> None:
    cert = iam.upload_signing_certificate(CertificateBody=certificate_pem)["Certificate"]
    assert iam.list_signing_certificates()["Certificates"] == [cert]
    iam.create_user(UserName="alice")
    assert iam.list_signing_certificates(UserName="alice")["Certificates"] == []
    assert error_of(iam.delete_signing_certificate, UserName="alice", CertificateId=cert["CertificateId"])[0] == (
        "NoSuchEntity"
    )
    iam.delete_signing_certificate(CertificateId=cert["CertificateId"])


def test_upload_signing_certificate_errors(iam: Any, certificate_pem: str) -> None:
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    assert error_of(iam.upload_signing_certificate, UserName="ghost", CertificateBody=certificate_pem) == (
        "NoSuchEntity", 404, "The user with name ghost cannot be found."
    )
    assert error_of(iam.upload_signing_certificate, UserName="alice", CertificateBody="not a certificate")[:2] == (
        "MalformedCertificate", 400
    )
    garbled = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    assert error_of(iam.upload_signing_certificate, UserName="alice", CertificateBody=garbled)[:2] == (
        "InvalidCertificate", 400
    )
    iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate_pem)
    reformatted = certificate_pem.replace("\n", "\r\n")
    for user in ("alice", "bob"):
        assert error_of(iam.upload_signing_certificate, UserName=user, CertificateBody=reformatted)[:2] == (
            "DuplicateCertificate", 409
        )
    iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate(1))
    # AWS's message names the quota CertificatesPerUser.
    assert error_of(iam.upload_signing_certificate, UserName="alice", CertificateBody=certificate(2)) == (
        "LimitExceeded", 409, "Cannot exceed quota for CertificatesPerUser: 2"
    )


# -- service-specific credentials -------------------------------------------------------


def test_codecommit_credentials(iam: Any) -> None:
    iam.create_user(UserName="alice")
    created = iam.create_service_specific_credential(UserName="alice", ServiceName="codecommit.amazonaws.com")[
        "ServiceSpecificCredential"]
    assert created["ServiceUserName"] == f"alice-at-{ACCOUNT_ID}"
    assert created["ServiceSpecificCredentialId"].startswith("ACCA")
    assert created["Status"] == "Active" and created["UserName"] == "alice"
    assert len(created["ServicePassword"]) >= 40
    assert "ServiceCredentialSecret" not in created and "ExpirationDate" not in created
    listed = iam.list_service_specific_credentials(UserName="alice")["ServiceSpecificCredentials"]
    assert len(listed) == 1 and "ServicePassword" not in listed[0]
    assert listed[0]["ServiceSpecificCredentialId"] == created["ServiceSpecificCredentialId"]
    reset = iam.reset_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=created["ServiceSpecificCredentialId"]
    )["ServiceSpecificCredential"]
    assert reset["ServicePassword"] != created["ServicePassword"]
    assert reset["ServiceUserName"] == created["ServiceUserName"]
    iam.update_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=created["ServiceSpecificCredentialId"], Status="Inactive"
    )
    assert iam.list_service_specific_credentials(UserName="alice")["ServiceSpecificCredentials"][0]["Status"] == (
        "Inactive"
    )
    iam.delete_service_specific_credential(
        UserName="alice", ServiceSpecificCredentialId=created["ServiceSpecificCredentialId"]
    )
    assert iam.list_service_specific_credentials(UserName="alice")["ServiceSpecificCredentials"] == []


def test_bedrock_api_keys(iam: Any) -> None:
    iam.create_user(UserName="alice")
    created = iam.create_service_specific_credential(
        UserName="alice", ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30
    )["ServiceSpecificCredential"]
    assert created["ServiceCredentialAlias"].startswith("alice")
    assert created["ServiceCredentialSecret"].startswith("ABSK")
    assert "ServicePassword" not in created and "ServiceUserName" not in created
    assert created["ExpirationDate"] - created["CreateDate"] == dt.timedelta(days=30)
    listed = iam.list_service_specific_credentials(UserName="alice", ServiceName="bedrock.amazonaws.com")
    item = listed["ServiceSpecificCredentials"][0]
    assert item["ExpirationDate"] == created["ExpirationDate"]
    assert item["ServiceCredentialAlias"] == created["ServiceCredentialAlias"]
    assert "ServiceCredentialSecret" not in item
    assert error_of(iam.create_service_specific_credential, UserName="alice",
                    ServiceName="codecommit.amazonaws.com", CredentialAgeDays=30)[:2] == ("InvalidInput", 400)


def test_service_credential_errors(iam: Any) -> None:
    iam.create_user(UserName="alice")
    assert error_of(iam.create_service_specific_credential, UserName="alice", ServiceName="s3.amazonaws.com") == (
        "NotSupportedService", 404, "No such service s3.amazonaws.com is supported for Service-Specific Credentials"
    )
    assert error_of(iam.list_service_specific_credentials, UserName="alice", ServiceName="s3.amazonaws.com")[0] == (
        "NotSupportedService"
    )
    assert error_of(iam.create_service_specific_credential, UserName="ghost",
                    ServiceName="codecommit.amazonaws.com")[:2] == ("NoSuchEntity", 404)
    for _ in range(2):
        iam.create_service_specific_credential(UserName="alice", ServiceName="cassandra.amazonaws.com")
    assert error_of(iam.create_service_specific_credential, UserName="alice",
                    ServiceName="cassandra.amazonaws.com") == (
        "LimitExceeded", 409, "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2"
    )
    iam.create_service_specific_credential(UserName="alice", ServiceName="codecommit.amazonaws.com")
    missing = "ACCAAAAAAAAAAAAAAAAAA"
    for call in (iam.reset_service_specific_credential, iam.delete_service_specific_credential):
        assert error_of(call, UserName="alice", ServiceSpecificCredentialId=missing)[:2] == ("NoSuchEntity", 404)
    assert error_of(iam.update_service_specific_credential, UserName="alice",
                    ServiceSpecificCredentialId=missing, Status="Active")[:2] == ("NoSuchEntity", 404)
    assert error_of(iam.list_service_specific_credentials, UserName="alice", AllUsers=True)[:2] == (
        "InvalidInput", 400
    )


def test_list_service_credentials_of_all_users(iam: Any) -> None:
    for name in ("alice", "bob"):
        iam.create_user(UserName=name)
        iam.create_service_specific_credential(UserName=name, ServiceName="codecommit.amazonaws.com")
    iam.create_service_specific_credential(UserName="bob", ServiceName="cassandra.amazonaws.com")
    everyone = iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"]
    assert sorted(c["UserName"] for c in everyone) == ["alice", "bob", "bob"]
    codecommit = iam.list_service_specific_credentials(AllUsers=True, ServiceName="codecommit.amazonaws.com")
    assert sorted(c["UserName"] for c in codecommit["ServiceSpecificCredentials"]) == ["alice", "bob"]
    page = iam.list_service_specific_credentials(AllUsers=True, MaxItems=2)
    assert page["IsTruncated"] is True and len(page["ServiceSpecificCredentials"]) == 2
    rest = iam.list_service_specific_credentials(AllUsers=True, Marker=page["Marker"])
    assert len(rest["ServiceSpecificCredentials"]) == 1
    # Another user's credential is not found under alice.
    bobs = iam.list_service_specific_credentials(UserName="bob")["ServiceSpecificCredentials"][0]
    assert error_of(iam.delete_service_specific_credential, UserName="alice",
                    ServiceSpecificCredentialId=bobs["ServiceSpecificCredentialId"])[0] == "NoSuchEntity"


def test_aws_cli(server: RunningServer, iam: Any, ssh_public_key: str) -> None:
    iam.create_user(UserName="cli-user")
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "upload-ssh-public-key", "--user-name", "cli-user",
         "--ssh-public-key-body", ssh_public_key, "--output", "json"],
        env=server.cli_env(), capture_output=True, text=True, timeout=60, check=True,
    )
    uploaded = json.loads(out.stdout)["SSHPublicKey"]
    assert uploaded["Fingerprint"] == md5_fingerprint(ssh_public_key)
    assert uploaded["SSHPublicKeyBody"] == ssh_public_key
