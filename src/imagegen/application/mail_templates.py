"""The words of account mail: a plain-text and an HTML body for each message."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from imagegen.application.ports import MailMessage
from imagegen.domain.users import User

PRODUCT = "imagegen"


def verification_mail(user: User, link: str, lifetime: timedelta) -> MailMessage:
    """Return the mail asking user to confirm their address."""
    lines = (
        f"Welcome to {PRODUCT}! Please confirm that this is your email address.",
        f"The link works for {describe(lifetime)}.",
        "If you did not sign up, ignore this mail.",
    )
    return _message(
        user,
        subject=f"Verify your email address for {PRODUCT}",
        lines=lines,
        action="Verify email address",
        link=link,
        about=f"verify-email for user {user.id}",
    )


def password_reset_mail(user: User, link: str, lifetime: timedelta) -> MailMessage:
    """Return the mail carrying a link to choose a new password."""
    lines = (
        f"Someone asked to reset the password of your {PRODUCT} account.",
        f"The link works once, for {describe(lifetime)}.",
        "If it was not you, ignore this mail: your password stays as it is.",
    )
    return _message(
        user,
        subject=f"Reset your {PRODUCT} password",
        lines=lines,
        action="Choose a new password",
        link=link,
        about=f"reset-password for user {user.id}",
    )


def describe(lifetime: timedelta) -> str:
    """Say how long a link lives, in the largest whole unit that fits."""
    seconds = int(lifetime.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def _message(
    user: User,
    *,
    subject: str,
    lines: tuple[str, ...],
    action: str,
    link: str,
    about: str,
) -> MailMessage:
    greeting = f"Hello {user.name},"
    text = "\n\n".join(
        (greeting, lines[0], f"{action}:\n{link}", *lines[1:], f"-- {PRODUCT}")
    )
    return MailMessage(
        to=user.email,
        subject=subject,
        text=text + "\n",
        html=_html(greeting, lines, action, link),
        about=about,
    )


def _html(greeting: str, lines: tuple[str, ...], action: str, link: str) -> str:
    href = escape(link, quote=True)
    paragraphs = "\n".join(f"<p>{escape(line)}</p>" for line in lines[1:])
    return f"""<!doctype html>
<html>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
<p>{escape(greeting)}</p>
<p>{escape(lines[0])}</p>
<p><a href="{href}" style="display: inline-block; padding: 10px 18px;
background: #3b5bdb; color: #fff; border-radius: 4px; text-decoration: none;"
>{escape(action)}</a></p>
<p>Or open this address in your browser:<br><a href="{href}">{escape(link)}</a></p>
{paragraphs}
<p>&mdash; {PRODUCT}</p>
</body>
</html>
"""
