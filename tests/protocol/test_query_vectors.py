"""Request cases kept as data (``vectors/query_requests.json``): the error AWS answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iamd.protocol import load_service
from iamd.protocol.errors import ServiceError

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "query_requests.json").read_text("utf-8")
)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_request_is_rejected_as_aws_does(case: dict[str, Any]) -> None:
    service = load_service(case["service"])
    form = {key: [value] for key, value in case["form"].items()}
    with pytest.raises(ServiceError) as raised:
        service.parse_request(case["action"], form)
    assert raised.value.code == case["code"]
    assert raised.value.message == case["message"]
    assert raised.value.status == 400
    assert raised.value.fault_type == "Sender"
