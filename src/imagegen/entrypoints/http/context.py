"""Reach the process's services and the signed-in user from a request."""

from __future__ import annotations

from typing import cast

from flask import current_app
from flask_jwt_extended import current_user as _current_user
from flask_jwt_extended import get_jwt

from imagegen.bootstrap import Services
from imagegen.domain.users import User

EXTENSION = "imagegen"


def services() -> Services:
    return cast(Services, current_app.extensions[EXTENSION])


def current_user() -> User:
    return cast(User, _current_user._get_current_object())


def current_session_id() -> str:
    return str(get_jwt()["sid"])
