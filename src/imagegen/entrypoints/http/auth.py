"""/api/auth: sign-up, sign-in, tokens and passwords."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import get_jwt, jwt_required
from flask_smorest import Blueprint

from imagegen.application import account_mail, accounts
from imagegen.domain.users import User
from imagegen.entrypoints.http.context import current_session_id, current_user, services
from imagegen.entrypoints.http.limits import failed_login, limiter
from imagegen.entrypoints.http.schemas import (
    AcceptedSchema,
    ForgotPasswordSchema,
    LoginSchema,
    MailTokenSchema,
    PasswordChangeSchema,
    PasswordResetSchema,
    RegisterSchema,
    TokenPairSchema,
    UserSchema,
)
from imagegen.entrypoints.http.security import BEARER, issue_tokens

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Accounts")


def _client_login_limit() -> str:
    return services().settings.client_login_limit


def _client_mail_limit() -> str:
    return services().settings.client_mail_limit


@blp.route("/register", methods=["POST"])
@blp.arguments(RegisterSchema)
@blp.response(201, TokenPairSchema)
def register(body: dict[str, str]) -> dict[str, Any]:
    """Create an account, sign in, and mail a link to verify the address."""
    signed_in = account_mail.register(
        services().account_mail, body["name"], body["email"], body["password"]
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


@blp.route("/email/verify", methods=["POST"])
@blp.arguments(MailTokenSchema)
@blp.response(204)
def verify_email(body: dict[str, str]) -> None:
    """Verify the address with the token from the verification mail."""
    account_mail.verify_email(services().account_mail, body["token"])


@blp.route("/email/resend", methods=["POST"])
@jwt_required()
@blp.response(202, AcceptedSchema)
@blp.doc(security=BEARER)
def resend_verification() -> dict[str, str]:
    """Mail another verification link (a few per quarter hour at most)."""
    account_mail.resend_verification(services().account_mail, current_user())
    return {"message": "A new verification link is on its way."}


@blp.route("/password/forgot", methods=["POST"])
@limiter.limit(_client_mail_limit)
@blp.arguments(ForgotPasswordSchema)
@blp.response(202, AcceptedSchema)
def forgot_password(body: dict[str, str]) -> dict[str, str]:
    """Mail a password reset link; 202 whether or not the account exists."""
    account_mail.forgot_password(services().account_mail, body["email"])
    return {"message": "If an account uses this address, a reset link is on its way."}


@blp.route("/password/reset", methods=["POST"])
@blp.arguments(PasswordResetSchema)
@blp.response(204)
def reset_password(body: dict[str, str]) -> None:
    """Set a new password with the token from the reset mail; sessions end."""
    account_mail.reset_password(
        services().account_mail, body["token"], body["password"]
    )
