"""Prometheus metrics: requests by route and status, and their latency."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

REGISTRY_KEY = "imagegen.metrics"


class HttpMetrics:
    """One registry per app, so that tests and apps never share counters.

    With a shared directory (prometheus_client's multiprocess mode) every
    Gunicorn process writes its counts there, and a scrape adds them up.
    """

    def __init__(self, shared_dir: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        self.shared_dir = shared_dir
        self.requests = Counter(
            "imagegen_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "imagegen_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ["route", "method"],
            registry=self.registry,
        )

    def render(self) -> Response:
        registry = self.registry
        if self.shared_dir is not None:
            registry = CollectorRegistry()
            # prometheus_client leaves this constructor unannotated.
            MultiProcessCollector(registry, path=str(self.shared_dir))  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask, shared_dir: Path | None) -> HttpMetrics:
    metrics = HttpMetrics(shared_dir)
    app.extensions[REGISTRY_KEY] = metrics

    @app.before_request
    def _start_timer() -> None:
        g.started_at = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.requests.labels(route, request.method, str(response.status_code)).inc()
        started = g.get("started_at")
        if started is not None:
            elapsed = time.perf_counter() - started
            metrics.latency.labels(route, request.method).observe(elapsed)
        return response

    return metrics
