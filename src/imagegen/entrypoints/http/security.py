"""Bearer tokens: issue them, check them, and answer every failure as a problem."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token

from imagegen.application import accounts
from imagegen.application.accounts import SignedIn
from imagegen.domain.errors import InvalidToken
from imagegen.domain.users import User
from imagegen.entrypoints.http.context import EXTENSION, services
from imagegen.entrypoints.http.problems import problem

# The OpenAPI security requirement of every route that needs a bearer token.
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def init_app(app: Flask) -> JWTManager:
    """Configure flask-jwt-extended for the app and route its errors to problems."""
    settings = app.extensions[EXTENSION].settings
    app.config.update(
        JWT_SECRET_KEY=settings.secret_key,
        JWT_ALGORITHM="HS256",
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=settings.access_token_ttl),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(seconds=settings.refresh_token_ttl),
        JWT_ERROR_MESSAGE_KEY="detail",
    )
    manager = JWTManager(app)
    manager.user_lookup_loader(_load_user)
    manager.unauthorized_loader(_missing)
    manager.invalid_token_loader(_invalid)
    manager.expired_token_loader(_expired)
    manager.revoked_token_loader(_revoked)
    manager.user_lookup_error_loader(_revoked)
    manager.token_verification_failed_loader(_revoked)
    manager.needs_fresh_token_loader(_revoked)
    return manager


def issue_tokens(signed_in: SignedIn) -> dict[str, Any]:
    """Return the response body shared by register, login and refresh."""
    user, session = signed_in.user, signed_in.session
    claims = {"sid": session.id}
    return {
        "user": user,
        "access_token": create_access_token(user.id, additional_claims=claims),
        "refresh_token": create_refresh_token(
            user.id, additional_claims=claims | {"gen": session.generation}
        ),
        "token_type": "Bearer",
        "expires_in": services().settings.access_token_ttl,
    }


def _load_user(_header: dict[str, Any], payload: dict[str, Any]) -> User:
    sid = payload.get("sid")
    if not isinstance(sid, str):
        raise InvalidToken("The token was not issued by this service.")
    return accounts.authenticate(services().accounts, str(payload["sub"]), sid)


def _missing(reason: str) -> Response:
    return problem(
        401,
        "Authentication required",
        "Send a bearer token in the Authorization header.",
        code="token_missing",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _invalid(reason: str) -> Response:
    return problem(
        401,
        "Invalid token",
        "The token is malformed or its signature does not match.",
        code="invalid_token",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _expired(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
    return problem(
        401,
        "Token expired",
        "The token has expired; refresh it or sign in again.",
        code="token_expired",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _revoked(*_args: Any) -> Response:
    return problem(
        401,
        "Invalid token",
        "The token is no longer valid.",
        code="invalid_token",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
