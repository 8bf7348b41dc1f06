"""Prometheus metrics, in the text exposition format (version 0.0.4) on ``/_iamd/metrics``.

A few counters and histograms kept in this process under one lock (recording a request
costs a dictionary update), plus values read when scraped: the caches' hit counts, the
audit queue's depth. With ``serve --workers N`` each worker keeps its own and a scrape
through the shared port reaches one of them: ``iamd_worker_info`` names which (see
docs/deployment.md).
"""

from __future__ import annotations

import bisect
import math
import os
import threading
from collections.abc import Callable, Iterable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in labels) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class _Histogram:
    __slots__ = ("buckets", "count", "sum")

    def __init__(self, size: int) -> None:
        self.buckets = [0] * size
        self.sum = 0.0
        self.count = 0


class Metrics:
    """The server's metrics. ``render`` writes them all; the sources registered with
    ``gauge_from`` and ``counter_from`` are read at that moment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = {}
        self._latency: dict[tuple[str, str], _Histogram] = {}
        self._decisions: dict[str, int] = {}
        self._denials: dict[str, int] = {}
        self._sampled: list[tuple[str, str, str, Callable[[], Iterable[tuple[Labels, float]]]]] = []
        self.pid = str(os.getpid())

    # -- recording ------------------------------------------------------------------

    def request(self, service: str, operation: str, error_code: str | None, seconds: float) -> None:
        """One API request: which operation, how it ended (``OK`` or its error code), how long."""
        key = (service, operation, error_code or "OK")
        index = bisect.bisect_left(LATENCY_BUCKETS, seconds)
        with self._lock:
            self._requests[key] = self._requests.get(key, 0) + 1
            histogram = self._latency.get((service, operation))
            if histogram is None:
                histogram = self._latency[(service, operation)] = _Histogram(len(LATENCY_BUCKETS) + 1)
            histogram.buckets[index] += 1
            histogram.sum += seconds
            histogram.count += 1

    def decision(self, action: str, allowed: bool, enforced: bool) -> None:
        """One policy evaluation by the authorizer; a denial is counted by action too."""
        result = "allow" if allowed else ("deny" if enforced else "would_deny")
        with self._lock:
            self._decisions[result] = self._decisions.get(result, 0) + 1
            if not allowed:
                self._denials[action] = self._denials.get(action, 0) + 1

    def sampled(
        self, name: str, kind: str, help_text: str, source: Callable[[], Iterable[tuple[Labels, float]]]
    ) -> None:
        """A metric whose values are read from ``source`` when scraped (``kind``: gauge or counter)."""
        self._sampled.append((name, kind, help_text, source))

    # -- the exposition ---------------------------------------------------------------

    def render(self) -> str:
        with self._lock:
            requests = dict(self._requests)
            latency = {key: (list(h.buckets), h.sum, h.count) for key, h in self._latency.items()}
            decisions = dict(self._decisions)
            denials = dict(self._denials)
        out: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")

        def sample(name: str, labels: Labels, value: float) -> None:
            out.append(f"{name}{_labels(labels)} {_number(value)}")

        family("iamd_worker_info", "gauge", "The process that answered this scrape.")
        sample("iamd_worker_info", (("pid", self.pid),), 1)

        family("iamd_requests_total", "counter", "API requests by service, operation and error code (OK: none).")
        for (service, operation, code), value in sorted(requests.items()):
            sample("iamd_requests_total", (("service", service), ("operation", operation), ("code", code)), value)
        family("iamd_request_duration_seconds", "histogram", "API request latency, from parsed request to response.")
        for (service, operation), (buckets, total, count) in sorted(latency.items()):
            labels = (("service", service), ("operation", operation))
            cumulative = 0
            for bound, in_bucket in zip((*LATENCY_BUCKETS, math.inf), buckets, strict=True):
                cumulative += in_bucket
                sample("iamd_request_duration_seconds_bucket", (*labels, ("le", _number(bound))), cumulative)
            sample("iamd_request_duration_seconds_sum", labels, total)
            sample("iamd_request_duration_seconds_count", labels, count)
        family("iamd_authorization_decisions_total", "counter",
               "Policy evaluations by result (would_deny: denied but let through by soft enforcement).")
        for result, value in sorted(decisions.items()):
            sample("iamd_authorization_decisions_total", (("decision", result),), value)
        family("iamd_authorization_denials_total", "counter", "Denied policy evaluations by action.")
        for action, value in sorted(denials.items()):
            sample("iamd_authorization_denials_total", (("action", action),), value)
        for name, kind, help_text, source in self._sampled:
            family(name, kind, help_text)
            for read_labels, read_value in source():
                sample(name, read_labels, read_value)
        return "\n".join(out) + "\n"
