"""The test IdP's state directory: signing keys, TLS certificate, issuer URL."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

DEFAULT_PORT = 8643
DEFAULT_DIR = Path(os.environ.get("IAMD_IDP_DIR", ".iamd-idp"))


@dataclass
class IdpState:
    directory: Path
    rsa_key: rsa.RSAPrivateKey
    ec_key: ec.EllipticCurvePrivateKey
    tls_key: ec.EllipticCurvePrivateKey
    tls_cert: x509.Certificate
    saml_key: rsa.RSAPrivateKey
    saml_cert: x509.Certificate
    config: dict[str, Any]

    @property
    def issuer(self) -> str:
        return str(self.config.get("issuer") or f"https://127.0.0.1:{DEFAULT_PORT}")

    @property
    def thumbprint(self) -> str:
        """The SHA-1 thumbprint of the TLS certificate, for ThumbprintList."""
        return hashlib.sha1(self.tls_cert.public_bytes(serialization.Encoding.DER)).hexdigest()

    def kid(self, alg: str) -> str:
        key = self.ec_key if alg.startswith("ES") else self.rsa_key
        der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(der).hexdigest()[:16]

    def save_config(self) -> None:
        _write(self.directory / "config.json", json.dumps(self.config, indent=2).encode())

    @property
    def tls_files(self) -> tuple[Path, Path]:
        return self.directory / "tls-cert.pem", self.directory / "tls-key.pem"


def _write(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _self_signed(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, name: str,
                 san: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
    )
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(key, hashes.SHA256())


def load(directory: Path) -> IdpState:
    """Open the state directory, creating keys and a certificate on first use."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {name: directory / f"{name}.pem" for name in ("rsa-key", "ec-key", "tls-key", "tls-cert", "saml-key",
                                                          "saml-cert")}
    if not files["rsa-key"].exists():
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ec_key = ec.generate_private_key(ec.SECP256R1())
        tls_key = ec.generate_private_key(ec.SECP256R1())
        saml_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write(files["rsa-key"], _pem(rsa_key))
        _write(files["ec-key"], _pem(ec_key))
        _write(files["tls-key"], _pem(tls_key))
        _write(files["saml-key"], _pem(saml_key))
        tls_cert = _self_signed(tls_key, "iamd test IdP", san=True)
        saml_cert = _self_signed(saml_key, "iamd test SAML IdP", san=False)
        _write(files["tls-cert"], tls_cert.public_bytes(serialization.Encoding.PEM))
        _write(files["saml-cert"], saml_cert.public_bytes(serialization.Encoding.PEM))

    def key(name: str) -> Any:
        return serialization.load_pem_private_key(files[name].read_bytes(), password=None)

    config_file = directory / "config.json"
    config = json.loads(config_file.read_text()) if config_file.exists() else {}
    return IdpState(
        directory=directory, rsa_key=key("rsa-key"), ec_key=key("ec-key"), tls_key=key("tls-key"),
        tls_cert=x509.load_pem_x509_certificate(files["tls-cert"].read_bytes()),
        saml_key=key("saml-key"), saml_cert=x509.load_pem_x509_certificate(files["saml-cert"].read_bytes()),
        config=config,
    )
