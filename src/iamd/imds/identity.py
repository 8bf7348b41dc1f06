"""The instance identity document and its signature.

``/latest/dynamic/instance-identity/document`` is a JSON document describing the
instance (accountId, architecture, availabilityZone, billingProducts,
devpayProductCodes, marketplaceProductCodes, imageId, instanceId, instanceType,
kernelId, pendingTime, privateIp, ramdiskId, region, version ``2017-09-30``), printed
the way EC2 prints it (two-space indent, `` : `` between name and value).
``.../signature`` is the base64 of an RSA (PKCS #1 v1.5) SHA-256 signature of that exact
text, which EC2 makes with AWS's key and verifies with AWS's public certificate.

iamd signs with an RSA-2048 key of the deployment, kept in ``imds-identity.key`` in the
data directory and made at first use; its public half (``openssl rsa -in
imds-identity.key -pubout``) verifies every endpoint's documents.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from iamd.imds.instance import Instance

KEY_FILE = "imds-identity.key"


def document(instance: Instance) -> str:
    fields = {
        "accountId": instance.account_id,
        "architecture": instance.architecture,
        "availabilityZone": instance.availability_zone,
        "billingProducts": None,
        "devpayProductCodes": None,
        "marketplaceProductCodes": None,
        "imageId": instance.image_id,
        "instanceId": instance.instance_id,
        "instanceType": instance.instance_type,
        "kernelId": None,
        "pendingTime": instance.launched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "privateIp": instance.local_ipv4,
        "ramdiskId": None,
        "region": instance.region,
        "version": "2017-09-30",
    }
    return json.dumps(fields, indent=2, separators=(",", " : "))


def sign(key: rsa.RSAPrivateKey, text: str) -> str:
    signature = key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    """The signing key in ``path``, made (readable by its owner only) when absent."""
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + f".{os.getpid()}.tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
        try:
            # Two endpoints starting together: the first key written wins.
            os.link(partial, path)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise TypeError(f"`{path}` does not hold an RSA private key.")
    return loaded
