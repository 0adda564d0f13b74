"""Administration through the HTTP API."""

from __future__ import annotations

from flask import Flask

from imagegen.application.seed import seed_demo_accounts
from tests.support.api import ApiClient, picture


def admin_token(api: ApiClient, app: Flask) -> str:
    seed_demo_accounts(app.extensions["imagegen"].accounts, production=False)
    response = api.post(
        "/api/auth/login", json={"email": "admin@example.com", "password": "password"}
    )
    return str(response.json["access_token"])


def test_everyone_but_an_admin_gets_403(api: ApiClient) -> None:
    token = api.token("ada@example.com")

    for url in ("/api/admin/images", "/api/admin/users", "/api/admin/stats"):
        response = api.get(url, token)
        assert response.status_code == 403, url
        assert response.json["code"] == "admin_only"
    assert api.patch(f"/api/admin/users/{'0' * 32}", token, json={}).status_code == 403


def test_an_admin_sees_all_images_and_users_with_usage(
    api: ApiClient, app: Flask
) -> None:
    root = admin_token(api, app)
    ada = api.token("ada@example.com")
    api.upload(ada, picture())
    api.upload(ada, picture())

    images = api.get("/api/admin/images", root).json["items"]
    users = api.get("/api/admin/users", root).json["items"]
    stats = api.get("/api/admin/stats", root).json

    assert len(images) == 2
    ada_row = next(u for u in users if u["email"] == "ada@example.com")
    assert ada_row["usage"]["uploads"] == 2
    assert ada_row["usage"]["bytes_stored"] > 0
    assert stats["users"] == 3 and stats["images"] == 2


def test_an_admin_reaches_any_image(api: ApiClient, app: Flask) -> None:
    root = admin_token(api, app)
    ada = api.token("ada@example.com")
    image_id = api.upload(ada, picture()).json["id"]

    assert api.get(f"/api/images/{image_id}/content", root).status_code == 200


def test_a_deactivated_user_is_locked_out_at_once(api: ApiClient, app: Flask) -> None:
    root = admin_token(api, app)
    ada = api.register("ada@example.com")

    response = api.patch(
        f"/api/admin/users/{ada['user']['id']}", root, json={"active": False}
    )

    assert response.status_code == 200 and response.json["active"] is False
    assert api.get("/api/auth/me", ada["access_token"]).status_code in (401, 403)
    assert api.post("/api/auth/refresh", ada["refresh_token"]).status_code in (401, 403)
    login = api.post(
        "/api/auth/login",
        json={"email": "ada@example.com", "password": "correct horse battery"},
    )
    assert login.status_code == 403


def test_an_admin_can_promote_a_user(api: ApiClient, app: Flask) -> None:
    root = admin_token(api, app)
    ada = api.register("ada@example.com")

    api.patch(f"/api/admin/users/{ada['user']['id']}", root, json={"role": "admin"})

    assert api.get("/api/admin/stats", ada["access_token"]).status_code == 200


def test_bad_patches_answer_4xx(api: ApiClient, app: Flask) -> None:
    root = admin_token(api, app)
    me = api.get("/api/auth/me", root).json

    bad_role = api.patch(f"/api/admin/users/{me['id']}", root, json={"role": "god"})
    unknown = api.patch(f"/api/admin/users/{'0' * 32}", root, json={"active": False})
    myself = api.patch(f"/api/admin/users/{me['id']}", root, json={"active": False})

    assert bad_role.status_code == 422
    assert unknown.status_code == 404
    assert myself.status_code == 409
