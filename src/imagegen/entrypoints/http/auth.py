"""/api/auth: sign-up, sign-in, tokens and passwords."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import get_jwt, jwt_required
from flask_smorest import Blueprint

from imagegen.application import accounts
from imagegen.domain.users import User
from imagegen.entrypoints.http.context import current_session_id, current_user, services
from imagegen.entrypoints.http.limits import failed_login, limiter
from imagegen.entrypoints.http.schemas import (
    LoginSchema,
    PasswordChangeSchema,
    RegisterSchema,
    TokenPairSchema,
    UserSchema,
)
from imagegen.entrypoints.http.security import BEARER, issue_tokens

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Accounts")


def _client_login_limit() -> str:
    return services().settings.client_login_limit


@blp.route("/register", methods=["POST"])
@blp.arguments(RegisterSchema)
@blp.response(201, TokenPairSchema)
def register(body: dict[str, str]) -> dict[str, Any]:
    """Create an account and sign in."""
    signed_in = accounts.register(
        services().accounts, body["name"], body["email"], body["password"]
    )
    return issue_tokens(signed_in)


@blp.route("/login", methods=["POST"])
@limiter.limit(_client_login_limit, deduct_when=failed_login)
@blp.arguments(LoginSchema)
@blp.response(200, TokenPairSchema)
def login(body: dict[str, str]) -> dict[str, Any]:
    """Sign in with email and password."""
    signed_in = accounts.login(services().accounts, body["email"], body["password"])
    return issue_tokens(signed_in)


@blp.route("/refresh", methods=["POST"])
@jwt_required(refresh=True)
@blp.response(200, TokenPairSchema)
@blp.doc(security=BEARER)
def refresh() -> dict[str, Any]:
    """Trade the refresh token (as Bearer) for a new pair."""
    claims = get_jwt()
    signed_in = accounts.refresh(
        services().accounts, str(claims["sid"]), int(claims.get("gen", -1))
    )
    return issue_tokens(signed_in)


@blp.route("/logout", methods=["POST"])
@jwt_required(verify_type=False)
@blp.response(204)
@blp.doc(security=BEARER)
def logout() -> None:
    """End this session; its access and refresh tokens stop working."""
    accounts.logout(services().accounts, current_session_id())


@blp.route("/me")
class Me(MethodView):
    @jwt_required()
    @blp.response(200, UserSchema)
    @blp.doc(security=BEARER)
    def get(self) -> User:
        """Return the signed-in user."""
        return current_user()


@blp.route("/password", methods=["POST"])
@jwt_required()
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@blp.doc(security=BEARER)
def change_password(body: dict[str, str]) -> None:
    """Change the password; other sessions end."""
    accounts.change_password(
        services().accounts,
        current_user(),
        current_session_id(),
        body["current_password"],
        body["new_password"],
    )
