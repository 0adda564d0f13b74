"""Account protection: sign-in and account-mail throttles, and the mailer."""

from __future__ import annotations

import logging

from redis import Redis

from imagegen.application.ports import Clock, Mailer, Throttle
from imagegen.config import MailSettings, Settings

log = logging.getLogger(__name__)


def login_throttle(
    settings: Settings, redis: Redis[bytes] | None, clock: Clock
) -> Throttle:
    if redis is None:
        log.info("login throttle: in process memory (set REDIS_URL to share it)")
    limit, window = settings.login_max_failures, settings.login_lockout_seconds
    return _throttle(settings, redis, clock, "login-failures", limit, window)


def mailer(mail: MailSettings) -> Mailer:
    if mail.mailer == "smtp":
        from imagegen.adapters.smtp_mailer import SmtpMailer

        return SmtpMailer(
            mail.host,
            mail.port,
            from_address=mail.from_address,
            from_name=mail.from_name,
            encryption=mail.encryption,
            username=mail.username,
            password=mail.password,
            timeout=mail.timeout,
        )
    from imagegen.adapters.log_mailer import LogMailer

    log.info("mail: written to the log, not sent (set MAIL_MAILER=smtp to send)")
    return LogMailer()


def mail_throttle(
    settings: Settings, redis: Redis[bytes] | None, clock: Clock
) -> Throttle:
    limit, window = settings.account_mail_limit, settings.account_mail_window
    return _throttle(settings, redis, clock, "account-mail", limit, window)


def _throttle(
    settings: Settings,
    redis: Redis[bytes] | None,
    clock: Clock,
    name: str,
    limit: int,
    window: int,
) -> Throttle:
    """Count in Redis when there is one (every process shares it), else here."""
    if redis is not None:
        from imagegen.adapters.redis_throttle import RedisThrottle

        prefix = settings.redis_prefix
        return RedisThrottle(
            redis, limit=limit, window=window, prefix=prefix, name=name
        )
    from imagegen.adapters.memory_throttle import MemoryThrottle

    return MemoryThrottle(clock, limit=limit, window=window)
