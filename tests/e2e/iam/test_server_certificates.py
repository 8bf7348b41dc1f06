"""Server certificates through boto3 and the AWS CLI: upload, read, rename, tag, delete."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import PartitionAccount, ACCOUNT_ID, RunningServer, error_of

NOT_AFTER = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key: Any) -> str:
    return str(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    )


def _certificate(
    subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool = False
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


@cache
def rsa_pair() -> tuple[str, str]:
    """A self-signed RSA certificate and its key, as PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _pem(_certificate("www.example.com", key, "www.example.com", key)), _key_pem(key)


@cache
def ec_pair() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    return _pem(_certificate("api.example.com", key, "api.example.com", key)), _key_pem(key)


@cache
def chained() -> tuple[str, str, str]:
    """A leaf certificate signed by an intermediate signed by a root: (leaf, key, chain)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    intermediate_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate("Example Root", root_key, "Example Root", root_key, ca=True)
    intermediate = _certificate(
        "Example Intermediate", intermediate_key, "Example Root", root_key, ca=True
    )
    leaf = _certificate("shop.example.com", leaf_key, "Example Intermediate", intermediate_key)
    return _pem(leaf), _key_pem(leaf_key), _pem(intermediate) + _pem(root)


def upload(iam: Any, name: str = "web", **extra: Any) -> dict[str, Any]:
    body, key = rsa_pair()
    response: dict[str, Any] = iam.upload_server_certificate(
        ServerCertificateName=name, CertificateBody=body, PrivateKey=key, **extra
    )
    return response


def test_upload_and_get(iam: Any) -> None:
    body, key = rsa_pair()
    metadata = iam.upload_server_certificate(
        ServerCertificateName="web",
        Path="/cloudfront/",
        CertificateBody=body,
        PrivateKey=key,
        Tags=[{"Key": "team", "Value": "edge"}],
    )
    uploaded = metadata["ServerCertificateMetadata"]
    assert uploaded["ServerCertificateName"] == "web"
    assert uploaded["Path"] == "/cloudfront/"
    assert (
        uploaded["ServerCertificateId"].startswith("ASCA")
        and len(uploaded["ServerCertificateId"]) == 21
    )
    assert uploaded["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/cloudfront/web"
    assert uploaded["Expiration"] == NOT_AFTER
    assert abs(uploaded["UploadDate"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert metadata["Tags"] == [{"Key": "team", "Value": "edge"}]

    got = iam.get_server_certificate(ServerCertificateName="WEB")["ServerCertificate"]
    assert got["ServerCertificateMetadata"] == uploaded
    # AWS returns the PEM without the trailing newline the upload ended with.
    assert body.endswith("-----END CERTIFICATE-----\n")
    assert got["CertificateBody"] == body.rstrip("\n")
    assert got["CertificateBody"].endswith("-----END CERTIFICATE-----")
    assert "CertificateChain" not in got
    assert got["Tags"] == [{"Key": "team", "Value": "edge"}]
    # The private key is never returned.
    assert "PrivateKey" not in got and "PRIVATE KEY" not in json.dumps(got, default=str)


def test_upload_ec_certificate_with_chain(iam: Any) -> None:
    leaf, key, chain = chained()
    iam.upload_server_certificate(
        ServerCertificateName="shop", CertificateBody=leaf, PrivateKey=key, CertificateChain=chain
    )
    got = iam.get_server_certificate(ServerCertificateName="shop")["ServerCertificate"]
    assert chain.endswith("\n") and got["CertificateChain"] == chain.rstrip("\n")
    assert got["CertificateBody"] == leaf.rstrip("\n")
    assert got["Tags"] == []
    ec_body, ec_key = ec_pair()
    iam.upload_server_certificate(
        ServerCertificateName="api", CertificateBody=ec_body, PrivateKey=ec_key
    )


def test_upload_refuses_a_chain_out_of_order(iam: Any) -> None:
    leaf, key, chain = chained()
    intermediate, root = chain.split("-----END CERTIFICATE-----\n")[:2]
    reversed_chain = (
        root + "-----END CERTIFICATE-----\n" + intermediate + "-----END CERTIFICATE-----\n"
    )
    code, status, message = error_of(
        iam.upload_server_certificate,
        ServerCertificateName="shop",
        CertificateBody=leaf,
        PrivateKey=key,
        CertificateChain=reversed_chain,
    )
    assert (code, status) == ("MalformedCertificate", 400)
    assert message.startswith("Unable to validate certificate chain.")
    assert message.endswith("The index within the chain of the invalid certificate is: 0")


def test_upload_malformed_certificate_and_key(iam: Any) -> None:
    body, key = rsa_pair()
    code, status, message = error_of(
        iam.upload_server_certificate,
        ServerCertificateName="web",
        CertificateBody="not a certificate",
        PrivateKey=key,
    )
    assert (code, status, message) == (
        "MalformedCertificate",
        400,
        "Unable to parse certificate. Please ensure the certificate is in PEM format.",
    )
    code, status, message = error_of(
        iam.upload_server_certificate,
        ServerCertificateName="web",
        CertificateBody=body,
        PrivateKey="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    assert (code, status) == ("MalformedCertificate", 400)
    assert "private key" in message
    code, _, _ = error_of(
        iam.upload_server_certificate,
        ServerCertificateName="web",
        CertificateBody=body,
        PrivateKey=key,
        CertificateChain="garbage",
    )
    assert code == "MalformedCertificate"
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []


def test_upload_key_pair_mismatch(iam: Any) -> None:
    body, _ = rsa_pair()
    _, other_key = ec_pair()
    code, status, _ = error_of(
        iam.upload_server_certificate,
        ServerCertificateName="web",
        CertificateBody=body,
        PrivateKey=other_key,
    )
    assert (code, status) == ("KeyPairMismatch", 400)


def test_upload_duplicate_name(iam: Any) -> None:
    upload(iam, "web")
    code, status, message = error_of(upload, iam=iam, name="Web")
    assert (code, status, message) == (
        "EntityAlreadyExists",
        409,
        "The Server Certificate with name Web already exists.",
    )


def test_upload_quota(server: RunningServer, iam: Any) -> None:
    for index in range(20):
        upload(iam, f"cert-{index:02}")
    code, status, message = error_of(upload, iam=iam, name="one-too-many")
    assert (code, status, message) == (
        "LimitExceeded",
        409,
        "Cannot exceed quota for ServerCertificatesPerAccount: 20",
    )
    # Pagination over the 20, in name order.
    first = iam.list_server_certificates(MaxItems=15)
    assert first["IsTruncated"] is True and len(first["ServerCertificateMetadataList"]) == 15
    rest = iam.list_server_certificates(Marker=first["Marker"])
    assert rest["IsTruncated"] is False
    names = [
        c["ServerCertificateName"]
        for c in first["ServerCertificateMetadataList"] + rest["ServerCertificateMetadataList"]
    ]
    assert names == [f"cert-{index:02}" for index in range(20)]


def test_upload_validates_tags(iam: Any) -> None:
    code, status, _ = error_of(
        upload, iam=iam, name="web", Tags=[{"Key": "aws:reserved", "Value": "x"}]
    )
    assert (code, status) == ("InvalidInput", 400)
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []


def test_get_missing(iam: Any) -> None:
    code, status, message = error_of(iam.get_server_certificate, ServerCertificateName="nope")
    assert (code, status, message) == (
        "NoSuchEntity",
        404,
        "The Server Certificate with name nope cannot be found.",
    )


def test_list_by_path_prefix(iam: Any) -> None:
    upload(iam, "a", Path="/cloudfront/prod/")
    upload(iam, "b", Path="/elb/")
    upload(iam, "c")
    listed = iam.list_server_certificates(PathPrefix="/cloudfront/")[
        "ServerCertificateMetadataList"
    ]
    assert [c["ServerCertificateName"] for c in listed] == ["a"]
    assert set(listed[0]) == {
        "Path",
        "ServerCertificateName",
        "ServerCertificateId",
        "Arn",
        "UploadDate",
        "Expiration",
    }
    everything = iam.list_server_certificates()
    assert [c["ServerCertificateName"] for c in everything["ServerCertificateMetadataList"]] == [
        "a",
        "b",
        "c",
    ]
    assert everything["IsTruncated"] is False


def test_update_name_and_path(iam: Any) -> None:
    uploaded = upload(iam, "web", Tags=[{"Key": "k", "Value": "v"}])["ServerCertificateMetadata"]
    iam.update_server_certificate(
        ServerCertificateName="web", NewServerCertificateName="web-2024", NewPath="/cloudfront/"
    )
    assert error_of(iam.get_server_certificate, ServerCertificateName="web")[0] == "NoSuchEntity"
    got = iam.get_server_certificate(ServerCertificateName="web-2024")["ServerCertificate"]
    metadata = got["ServerCertificateMetadata"]
    assert metadata["ServerCertificateId"] == uploaded["ServerCertificateId"]
    assert metadata["Path"] == "/cloudfront/"
    assert metadata["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/cloudfront/web-2024"
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    # Only the path; then only a change of case in the name.
    iam.update_server_certificate(ServerCertificateName="web-2024", NewPath="/")
    iam.update_server_certificate(
        ServerCertificateName="web-2024", NewServerCertificateName="WEB-2024"
    )
    metadata = iam.get_server_certificate(ServerCertificateName="web-2024")["ServerCertificate"][
        "ServerCertificateMetadata"
    ]
    assert (metadata["Path"], metadata["ServerCertificateName"]) == ("/", "WEB-2024")


def test_update_errors(iam: Any) -> None:
    upload(iam, "one")
    upload(iam, "two")
    code, status, message = error_of(
        iam.update_server_certificate, ServerCertificateName="one", NewServerCertificateName="TWO"
    )
    assert (code, status, message) == (
        "EntityAlreadyExists",
        409,
        "The Server Certificate with name TWO already exists.",
    )
    code, status, message = error_of(
        iam.update_server_certificate, ServerCertificateName="three", NewPath="/x/"
    )
    assert (code, status, message) == (
        "NoSuchEntity",
        404,
        "The Server Certificate with name three cannot be found.",
    )


def test_delete(iam: Any) -> None:
    upload(iam, "web", Tags=[{"Key": "k", "Value": "v"}])
    iam.delete_server_certificate(ServerCertificateName="WEB")
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []
    code, status, message = error_of(iam.delete_server_certificate, ServerCertificateName="web")
    assert (code, status, message) == (
        "NoSuchEntity",
        404,
        "The Server Certificate with name web cannot be found.",
    )
    # A new certificate of the same name starts without the old one's tags.
    upload(iam, "web")
    assert iam.list_server_certificate_tags(ServerCertificateName="web")["Tags"] == []


def test_tags(iam: Any) -> None:
    upload(iam, "web")
    iam.tag_server_certificate(
        ServerCertificateName="web", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    iam.tag_server_certificate(
        ServerCertificateName="web", Tags=[{"Key": "A", "Value": "3"}, {"Key": "c", "Value": ""}]
    )
    listed = iam.list_server_certificate_tags(ServerCertificateName="web")
    assert listed["Tags"] == [
        {"Key": "A", "Value": "3"},
        {"Key": "b", "Value": "2"},
        {"Key": "c", "Value": ""},
    ]
    assert listed["IsTruncated"] is False
    first = iam.list_server_certificate_tags(ServerCertificateName="web", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Tags"]) == 2
    rest = iam.list_server_certificate_tags(ServerCertificateName="web", Marker=first["Marker"])
    assert rest["Tags"] == [{"Key": "c", "Value": ""}]
    iam.untag_server_certificate(ServerCertificateName="web", TagKeys=["a", "missing"])
    assert iam.list_server_certificate_tags(ServerCertificateName="web")["Tags"] == [
        {"Key": "b", "Value": "2"},
        {"Key": "c", "Value": ""},
    ]


def test_tag_errors(iam: Any) -> None:
    for call, kwargs in (
        (iam.tag_server_certificate, {"Tags": [{"Key": "a", "Value": "1"}]}),
        (iam.untag_server_certificate, {"TagKeys": ["a"]}),
        (iam.list_server_certificate_tags, {}),
    ):
        code, status, message = error_of(call, ServerCertificateName="nope", **kwargs)
        assert (code, status, message) == (
            "NoSuchEntity",
            404,
            "The Server Certificate with name nope cannot be found.",
        )
    upload(iam, "web")
    code, status, _ = error_of(
        iam.tag_server_certificate,
        ServerCertificateName="web",
        Tags=[{"Key": "aws:x", "Value": "1"}],
    )
    assert (code, status) == ("InvalidInput", 400)
    too_many = [{"Key": f"k{index}", "Value": "v"} for index in range(50)]
    iam.tag_server_certificate(ServerCertificateName="web", Tags=too_many)
    code, status, _ = error_of(
        iam.tag_server_certificate,
        ServerCertificateName="web",
        Tags=[{"Key": "one-more", "Value": "v"}],
    )
    assert (code, status) == ("LimitExceeded", 409)


def test_other_accounts_do_not_see_certificates(server: RunningServer, iam: Any) -> None:
    upload(iam, "web")
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status in (200, 201)
    other = server.client(
        "iam",
        access_key_id=created["access_key_id"],
        secret_access_key=created["secret_access_key"],
    )
    assert other.list_server_certificates()["ServerCertificateMetadataList"] == []
    assert error_of(other.get_server_certificate, ServerCertificateName="web")[0] == "NoSuchEntity"
    # The same name is free in the other account.
    metadata = upload(other, "web")["ServerCertificateMetadata"]
    assert metadata["Arn"] == f"arn:aws:iam::{created['account_id']}:server-certificate/web"


def test_partition_in_arn(china: PartitionAccount) -> None:
    arn = upload(china.client("iam"), "web")["ServerCertificateMetadata"]["Arn"]
    assert arn == f"arn:aws-cn:iam::{china.account_id}:server-certificate/web"


def test_aws_cli_upload_and_list(server: RunningServer, tmp_path: Path) -> None:
    body, key = rsa_pair()
    (tmp_path / "cert.pem").write_text(body)
    (tmp_path / "key.pem").write_text(key)
    aws = [
        sys.executable,
        "-m",
        "awscli",
        "--endpoint-url",
        server.endpoint,
        "--output",
        "json",
        "iam",
    ]
    env = server.cli_env()
    out = subprocess.run(
        [
            *aws,
            "upload-server-certificate",
            "--server-certificate-name",
            "cli-cert",
            "--path",
            "/elb/",
            "--certificate-body",
            f"file://{tmp_path / 'cert.pem'}",
            "--private-key",
            f"file://{tmp_path / 'key.pem'}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    metadata = json.loads(out.stdout)["ServerCertificateMetadata"]
    assert metadata["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/elb/cli-cert"
    out = subprocess.run(
        [*aws, "list-server-certificates"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    listed = json.loads(out.stdout)["ServerCertificateMetadataList"]
    assert [c["ServerCertificateName"] for c in listed] == ["cli-cert"]
