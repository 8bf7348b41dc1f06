"""The Prometheus text exposition that ``/_iamd/metrics`` serves."""

from __future__ import annotations

from iamd.server.metrics import Metrics


def test_histogram_buckets_are_cumulative_and_end_at_inf() -> None:
    metrics = Metrics()
    for seconds in (0.0004, 0.003, 0.003, 7.0):
        metrics.request("iam", "GetUser", None, seconds)
    lines = metrics.render().splitlines()
    bucket = {line.split("le=")[1].split('"')[1]: float(line.rsplit(" ", 1)[1])
              for line in lines if line.startswith("iamd_request_duration_seconds_bucket")}
    assert bucket["0.0005"] == 1 and bucket["0.0025"] == 1 and bucket["0.005"] == 3
    assert bucket["5"] == 3 and bucket["+Inf"] == 4
    assert 'iamd_request_duration_seconds_count{service="iam",operation="GetUser"} 4' in lines
    assert 'iamd_requests_total{service="iam",operation="GetUser",code="OK"} 4' in lines


def test_decisions_denials_and_sampled_values() -> None:
    metrics = Metrics()
    metrics.decision("iam:ListUsers", allowed=False, enforced=True)
    metrics.decision("iam:ListUsers", allowed=False, enforced=False)
    metrics.decision("iam:GetUser", allowed=True, enforced=True)
    metrics.sampled("iamd_audit_queue_depth", "gauge", "Waiting events.", lambda: [((), 3)])
    text = metrics.render()
    assert 'iamd_authorization_decisions_total{decision="deny"} 1' in text
    assert 'iamd_authorization_decisions_total{decision="would_deny"} 1' in text
    assert 'iamd_authorization_decisions_total{decision="allow"} 1' in text
    assert 'iamd_authorization_denials_total{action="iam:ListUsers"} 2' in text
    assert "# TYPE iamd_audit_queue_depth gauge\niamd_audit_queue_depth 3\n" in text


def test_label_values_are_escaped() -> None:
    metrics = Metrics()
    metrics.decision('a"b\\c\nd', allowed=False, enforced=True)
    assert 'action="a\\"b\\\\c\\nd"' in metrics.render()
