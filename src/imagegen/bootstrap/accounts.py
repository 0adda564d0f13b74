"""Account protection: sign-in and account-mail throttles, and the mailer."""

from __future__ import annotations

import logging

from redis import Redis

from imagegen.application.ports import Clock, LoginThrottle, Mailer, Throttle
from imagegen.config import MailSettings, Settings

log = logging.getLogger(__name__)


def login_throttle(
    settings: Settings, redis: Redis[bytes] | None, clock: Clock
) -> LoginThrottle:
    limits = {
        "max_failures": settings.login_max_failures,
        "lockout": settings.login_lockout_seconds,
    }
    if redis is not None:
        from imagegen.adapters.redis_throttle import RedisLoginThrottle

        return RedisLoginThrottle(
            redis, prefix=settings.redis_prefix, name="login-failures", **limits
        )
    from imagegen.adapters.memory_throttle import MemoryLoginThrottle

    log.info("login throttle: in process memory (set REDIS_URL to share it)")
    return MemoryLoginThrottle(clock, **limits)


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
    most, window = settings.account_mail_limit, settings.account_mail_window
    if redis is not None:
        from imagegen.adapters.redis_throttle import RedisLoginThrottle

        return RedisLoginThrottle(
            redis,
            max_failures=most,
            lockout=window,
            prefix=settings.redis_prefix,
            name="account-mail",
        )
    from imagegen.adapters.memory_throttle import MemoryLoginThrottle

    return MemoryLoginThrottle(clock, max_failures=most, lockout=window)
