"""Operations routes and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.entrypoints.http.app import create_app
from tests.support.api import ApiClient, settings_for


def test_health_and_readiness_answer_ok(api: ApiClient) -> None:
    assert api.get("/healthz").json == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "storage": "ok"}


def test_readiness_answers_503_when_redis_is_unreachable(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    upgrade(settings.database_url)
    app = create_app(settings)

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["checks"]["redis"] == "unavailable"
    assert "127.0.0.1:1" not in response.get_data(as_text=True)


def test_metrics_count_requests_by_route_and_status(api: ApiClient) -> None:
    api.get("/healthz")
    api.get("/api/images")

    text = api.get("/metrics").get_data(as_text=True)

    assert 'route="/healthz",status="200"' in text
    assert 'route="/api/images",status="401"' in text
    assert "imagegen_http_request_duration_seconds_bucket" in text


def test_openapi_documents_the_contract_routes(api: ApiClient) -> None:
    spec = api.get("/api/openapi.json").json

    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in ("/api/auth/login", "/api/images", "/api/images/{image_id}/content"):
        assert path in paths
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_swagger_ui_and_its_assets_are_served_locally(api: ApiClient) -> None:
    page = api.get("/api/docs").get_data(as_text=True)

    assert "/api/docs/assets/swagger-ui-bundle.js" in page
    with api.get("/api/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and len(asset.data) > 100_000
    assert api.get("/api/docs/assets/../../etc/passwd").status_code == 404


def test_unknown_routes_and_methods_answer_problems(api: ApiClient) -> None:
    missing = api.get("/api/nothing-here")
    wrong = api.client.put("/healthz")

    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert wrong.status_code == 405 and wrong.mimetype == "application/problem+json"
