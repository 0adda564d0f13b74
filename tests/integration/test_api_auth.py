"""Accounts through the HTTP API, over SQLite and the real token machinery."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_jwt_extended import create_access_token, decode_token

from imagegen.adapters.sqlalchemy.migrations import upgrade
from imagegen.entrypoints.http.app import create_app
from tests.support.api import PASSWORD, ApiClient, settings_for

PROBLEM = "application/problem+json"


def test_register_answers_the_user_and_a_token_pair(api: ApiClient) -> None:
    body = api.register("ada@example.com", name="Ada")

    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["role"] == "user"
    assert body["user"]["email_verified"] is False
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    me = api.get("/api/auth/me", body["access_token"])
    assert me.status_code == 200
    assert me.json["id"] == body["user"]["id"]


def test_register_twice_with_one_address_answers_409(api: ApiClient) -> None:
    api.register("ada@example.com")

    response = api.post(
        "/api/auth/register",
        json={"name": "x", "email": "ADA@example.com", "password": PASSWORD},
    )

    assert response.status_code == 409
    assert response.json["code"] == "email_taken"


def test_register_with_bad_fields_lists_each_field(api: ApiClient) -> None:
    response = api.post(
        "/api/auth/register", json={"name": "", "email": "nope", "password": 5}
    )

    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert set(response.json["errors"]) == {"name", "email", "password"}
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_login_with_a_wrong_password_or_unknown_address_answers_alike(
    api: ApiClient,
) -> None:
    api.register("ada@example.com")

    wrong = api.post(
        "/api/auth/login", json={"email": "ada@example.com", "password": "wrong-one"}
    )
    unknown = api.post(
        "/api/auth/login", json={"email": "bob@example.com", "password": "wrong-one"}
    )

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["code"] == unknown.json["code"] == "invalid_credentials"
    assert wrong.json["detail"] == unknown.json["detail"]


def test_repeated_failed_logins_are_throttled_with_retry_after(api: ApiClient) -> None:
    api.register("ada@example.com")
    bad = {"email": "ada@example.com", "password": "wrong-password"}
    for _ in range(5):
        assert api.post("/api/auth/login", json=bad).status_code == 401

    response = api.post(
        "/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    )

    assert response.status_code == 429
    assert response.json["code"] == "login_throttled"
    assert int(response.headers["Retry-After"]) > 0


def test_a_refresh_token_works_once(api: ApiClient) -> None:
    first = api.register("ada@example.com")

    renewed = api.post("/api/auth/refresh", first["refresh_token"])
    reused = api.post("/api/auth/refresh", first["refresh_token"])

    assert renewed.status_code == 200
    assert renewed.json["refresh_token"] != first["refresh_token"]
    assert reused.status_code == 401
    assert reused.mimetype == PROBLEM


def test_an_access_token_cannot_refresh(api: ApiClient) -> None:
    first = api.register("ada@example.com")

    response = api.post("/api/auth/refresh", first["access_token"])

    assert response.status_code == 401


def test_logout_stops_both_tokens(api: ApiClient) -> None:
    first = api.register("ada@example.com")

    assert api.post("/api/auth/logout", first["access_token"]).status_code == 204

    assert api.get("/api/auth/me", first["access_token"]).status_code == 401
    assert api.post("/api/auth/refresh", first["refresh_token"]).status_code == 401


def test_a_token_revoked_in_one_process_is_refused_by_another(
    app: Flask, tmp_path: Path
) -> None:
    other = create_app(settings_for(tmp_path))
    here, there = ApiClient(app.test_client()), ApiClient(other.test_client())
    tokens = here.register("ada@example.com")
    assert there.get("/api/auth/me", tokens["access_token"]).status_code == 200

    here.post("/api/auth/logout", tokens["access_token"])

    assert there.get("/api/auth/me", tokens["access_token"]).status_code == 401
    other.extensions["imagegen"].close()


def test_missing_malformed_and_forged_tokens_answer_401_problems(
    api: ApiClient,
) -> None:
    real = api.register("ada@example.com")["access_token"]
    header, payload, _signature = real.split(".")
    forged = f"{header}.{payload}.{'A' * 43}"

    for token in (None, "not-a-jwt", forged):
        response = api.get("/api/auth/me", token)
        assert response.status_code == 401
        assert response.mimetype == PROBLEM
        assert response.json["code"] in {"token_missing", "invalid_token"}


def test_an_expired_token_answers_401(app: Flask, api: ApiClient) -> None:
    body = api.register("ada@example.com")
    with app.app_context():
        claims = decode_token(body["access_token"])
        expired = create_access_token(
            claims["sub"],
            additional_claims={"sid": claims["sid"]},
            expires_delta=timedelta(seconds=-60),
        )

    response = api.get("/api/auth/me", expired)

    assert response.status_code == 401
    assert response.json["code"] == "token_expired"


def test_password_change_needs_the_current_one_and_ends_other_sessions(
    api: ApiClient,
) -> None:
    first = api.register("ada@example.com")
    second = api.post(
        "/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
    ).json

    refused = api.post(
        "/api/auth/password",
        first["access_token"],
        json={"current_password": "nope-nope", "new_password": "brand new secret"},
    )
    changed = api.post(
        "/api/auth/password",
        first["access_token"],
        json={"current_password": PASSWORD, "new_password": "brand new secret"},
    )

    assert refused.status_code == 422
    assert changed.status_code == 204
    assert api.get("/api/auth/me", first["access_token"]).status_code == 200
    assert api.get("/api/auth/me", second["access_token"]).status_code == 401
    login = api.post(
        "/api/auth/login",
        json={"email": "ada@example.com", "password": "brand new secret"},
    )
    assert login.status_code == 200


def test_legacy_user_route_shows_the_role(api: ApiClient) -> None:
    token = api.token("ada@example.com")

    response = api.get("/api/user", token)

    assert response.status_code == 200
    assert response.json["role"] == "user"


def test_a_client_address_past_its_failure_limit_gets_429(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, CLIENT_LOGIN_LIMIT="3 per minute")
    upgrade(settings.database_url)
    app = create_app(settings)
    api = ApiClient(app.test_client())
    for n in range(3):
        wrong = {"email": f"user{n}@example.com", "password": "wrong-password"}
        assert api.post("/api/auth/login", json=wrong).status_code == 401

    response = api.post(
        "/api/auth/login", json={"email": "other@example.com", "password": "whatever1"}
    )

    assert response.status_code == 429
    assert response.mimetype == PROBLEM
    assert int(response.headers["Retry-After"]) > 0
    app.extensions["imagegen"].close()


def test_successful_logins_do_not_count_against_the_client_limit(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, CLIENT_LOGIN_LIMIT="2 per minute")
    upgrade(settings.database_url)
    app = create_app(settings)
    api = ApiClient(app.test_client())
    api.register("ada@example.com")
    good = {"email": "ada@example.com", "password": PASSWORD}

    statuses = [api.post("/api/auth/login", json=good).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 200]
    app.extensions["imagegen"].close()


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, CLIENT_LOGIN_LIMIT="2 per minute", PROXY_HOPS="1")
    upgrade(settings.database_url)
    app = create_app(settings)
    client = app.test_client()

    def fail_from(address: str, n: int) -> int:
        wrong = {"email": f"user{n}@example.com", "password": "wrong-password"}
        headers = {"X-Forwarded-For": address}
        return client.post("/api/auth/login", json=wrong, headers=headers).status_code

    office = [fail_from("203.0.113.7", n) for n in range(3)]
    elsewhere = fail_from("198.51.100.9", 9)

    assert office == [401, 401, 429]
    assert elsewhere == 401
    app.extensions["imagegen"].close()
