"""Operations: liveness, readiness and metrics."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app
from flask_smorest import Blueprint

from imagegen.entrypoints.http.context import services
from imagegen.entrypoints.http.metrics import REGISTRY_KEY

log = logging.getLogger(__name__)
blp = Blueprint("ops", __name__, description="Operations")


@blp.route("/healthz")
@blp.response(200)
def healthz() -> dict[str, str]:
    """Answer while the process is alive."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200)
@blp.alt_response(503, description="A dependency cannot be reached")
def readyz() -> tuple[dict[str, Any], int]:
    """Check that the database, storage and Redis (when used) answer."""
    results = {name: _probe(name, check) for name, check in services().checks.items()}
    ready = all(state == "ok" for state in results.values())
    return {"status": "ok" if ready else "unavailable", "checks": results}, (
        200 if ready else 503
    )


@blp.route("/metrics")
@blp.doc(responses={200: {"description": "Prometheus text format"}})
def metrics() -> Response:
    """Expose request counts and latencies for Prometheus."""
    response: Response = current_app.extensions[REGISTRY_KEY].render()
    return response


def _probe(name: str, check: Any) -> str:
    try:
        check()
    except Exception as exc:
        log.warning("readiness: %s is unreachable (%s)", name, type(exc).__name__)
        return "unavailable"
    return "ok"
