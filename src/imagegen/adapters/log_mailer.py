"""Mail written to the log instead of sent: the development default."""

from __future__ import annotations

import logging

from imagegen.application.ports import MailMessage

log = logging.getLogger(__name__)


class LogMailer:
    """Logs each message's recipient, subject and plain-text part, links included.

    Printing the links, tokens and all, is the point: it lets `make run` sign
    up and reset passwords with no mail server. It is also why the settings
    refuse MAIL_MAILER=log in production, where logs are kept and shared.
    """

    def send(self, message: MailMessage) -> None:
        log.info(
            "mail to %s: %s (not sent; MAIL_MAILER=log)\n%s",
            message.to,
            message.subject,
            message.text,
        )
