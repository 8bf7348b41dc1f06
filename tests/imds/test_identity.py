"""The instance identity document and its signature."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from iamd.imds import identity
from iamd.imds.instance import new_instance

INSTANCE = new_instance(random.Random(5).randbytes, account_id="111122223333",
                        launched_at=datetime(2025, 3, 1, 12, tzinfo=UTC), region="eu-west-1")


def test_the_document_describes_the_instance() -> None:
    text = identity.document(INSTANCE)
    assert '  "accountId" : "111122223333",' in text.split("\n")
    fields = json.loads(text)
    assert list(fields) == [
        "accountId", "architecture", "availabilityZone", "billingProducts", "devpayProductCodes",
        "marketplaceProductCodes", "imageId", "instanceId", "instanceType", "kernelId", "pendingTime",
        "privateIp", "ramdiskId", "region", "version",
    ]
    assert fields["instanceId"] == INSTANCE.instance_id and fields["imageId"] == INSTANCE.image_id
    assert fields["availabilityZone"] == "eu-west-1a" and fields["region"] == "eu-west-1"
    assert fields["privateIp"] == INSTANCE.local_ipv4 and fields["pendingTime"] == "2025-03-01T12:00:00Z"
    assert fields["version"] == "2017-09-30"


def test_the_signature_verifies_with_the_deployment_key(tmp_path: Path) -> None:
    key_path = tmp_path / identity.KEY_FILE
    key = identity.load_or_create_key(key_path)
    assert key_path.stat().st_mode & 0o777 == 0o600
    text = identity.document(INSTANCE)
    signature = base64.b64decode(identity.sign(key, text))
    public = identity.load_or_create_key(key_path).public_key()  # the same key, read back
    public.verify(signature, text.encode(), padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public.verify(signature, text.replace("eu-west-1", "us-east-1").encode(), padding.PKCS1v15(), hashes.SHA256())
    assert list(tmp_path.iterdir()) == [key_path]


def test_a_key_file_that_is_not_rsa(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "k").write_bytes(pem)
    with pytest.raises(TypeError, match="does not hold an RSA private key"):
        identity.load_or_create_key(tmp_path / "k")
