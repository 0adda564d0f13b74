"""The composition root: the one place that turns settings into adapters."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from functools import cached_property
from datetime import timedelta
from typing import Any

from redis import Redis
from sqlalchemy import MetaData

from imagegen.application.account_mail import AccountMailDeps
from imagegen.application.accounts import AccountDeps, decoy_hash
from imagegen.application.images import ImageDeps
from imagegen.application.mail_delivery import DeliveryDeps, deliver_mail
from imagegen.application.ports import (
    Clock,
    IdSource,
    ImageProcessor,
    ImageStore,
    LoginThrottle,
    Mailer,
    PasswordHasher,
    TaskQueue,
    Throttle,
    UnitOfWorkFactory,
)
from imagegen.adapters.thread_queue import ThreadTaskQueue
from imagegen.config import MailSettings, Settings
from imagegen.domain.tokens import MailTokens

log = logging.getLogger(__name__)

Check = Callable[[], None]
Task = Callable[..., None]


@dataclass
class Services:
    """Every adapter the entrypoints need, built once per process."""

    settings: Settings
    clock: Clock
    ids: IdSource
    hasher: PasswordHasher
    uow: UnitOfWorkFactory
    store: ImageStore
    processor: ImageProcessor
    throttle: LoginThrottle
    queue: TaskQueue
    mailer: Mailer
    # Account mails per user or address (see application.account_mail).
    mail_throttle: Throttle
    redis: Redis[bytes] | None = None
    # Background work by name: what TaskQueue.enqueue(name, ...) runs, here or
    # in a worker process.
    tasks: dict[str, Task] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)

    @cached_property
    def accounts(self) -> AccountDeps:
        return AccountDeps(
            uow=self.uow,
            hasher=self.hasher,
            throttle=self.throttle,
            clock=self.clock,
            ids=self.ids,
            session_ttl=timedelta(seconds=self.settings.refresh_token_ttl),
            decoy_hash=decoy_hash(self.hasher),
        )

    @cached_property
    def images(self) -> ImageDeps:
        return ImageDeps(
            uow=self.uow,
            store=self.store,
            processor=self.processor,
            clock=self.clock,
            ids=self.ids,
            thumbnail_max_side=self.settings.thumbnail_max_side,
        )

    @cached_property
    def account_mail(self) -> AccountMailDeps:
        return AccountMailDeps(
            accounts=self.accounts,
            tokens=MailTokens(self.settings.secret_key),
            queue=self.queue,
            throttle=self.mail_throttle,
            frontend_url=self.settings.frontend_url,
            verify_ttl=timedelta(seconds=self.settings.email_verification_ttl),
            reset_ttl=timedelta(seconds=self.settings.password_reset_ttl),
        )

    @cached_property
    def mail_delivery(self) -> DeliveryDeps:
        return DeliveryDeps(
            mailer=self.mailer,
            attempts=self.settings.mail.send_attempts,
            retry_delay=self.settings.mail.retry_delay,
            sleep=time.sleep,
        )

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


def bootstrap(settings: Settings, **overrides: Any) -> Services:
    """Build the real adapters the settings name; overrides replace any of them."""
    from imagegen.adapters.argon2_hasher import Argon2PasswordHasher
    from imagegen.adapters.system import RandomIdSource, SystemClock

    clock = overrides.pop("clock", None) or SystemClock()
    redis = overrides.pop("redis", None) or _redis(settings)
    checks: dict[str, Check] = overrides.pop("checks", {})
    uow = overrides.pop("uow", None)
    if uow is None:
        uow, checks["database"] = _database(settings)
    services = Services(
        settings=settings,
        clock=clock,
        ids=overrides.pop("ids", None) or RandomIdSource(),
        hasher=overrides.pop("hasher", None) or Argon2PasswordHasher(),
        uow=uow,
        store=overrides.pop("store", None) or _store(settings),
        processor=overrides.pop("processor", None) or _processor(settings),
        throttle=overrides.pop("throttle", None) or _throttle(settings, redis, clock),
        queue=overrides.pop("queue", None) or _queue(settings),
        mailer=overrides.pop("mailer", None) or _mailer(settings.mail),
        mail_throttle=overrides.pop("mail_throttle", None)
        or _mail_throttle(settings, redis, clock),
        redis=redis,
        checks=checks,
    )
    services.tasks.update(_tasks(services))
    if isinstance(services.queue, ThreadTaskQueue):
        services.queue.handlers.update(services.tasks)
        services.closers.append(services.queue.close)
    services.checks.setdefault("storage", services.store.ping)
    if redis is not None:
        services.checks.setdefault("redis", lambda: _ping(redis))
        services.closers.append(redis.close)
    if overrides:
        raise TypeError(f"unknown overrides: {', '.join(sorted(overrides))}")
    return services


def _tasks(services: Services) -> dict[str, Task]:
    """Bind each background task to this process's services."""
    return {"send_mail": partial(deliver_mail, services.mail_delivery)}


def _queue(settings: Settings) -> TaskQueue:
    return ThreadTaskQueue()


def database_metadata() -> MetaData:
    """Return the schema the migrations keep in step with."""
    from imagegen.adapters.sqlalchemy.tables import metadata

    return metadata


def _database(settings: Settings) -> tuple[UnitOfWorkFactory, Check]:
    from imagegen.adapters.sqlalchemy.unit_of_work import (
        SqlUnitOfWork,
        make_engine,
        ping,
    )

    engine = make_engine(settings.database_url)
    return (lambda: SqlUnitOfWork(engine)), (lambda: ping(engine))


def _store(settings: Settings) -> ImageStore:
    if settings.s3 is not None:
        from imagegen.adapters.s3_store import S3ImageStore

        s3 = settings.s3
        return S3ImageStore(
            s3.bucket,
            region=s3.region,
            endpoint_url=s3.endpoint_url,
            access_key_id=s3.access_key_id,
            secret_access_key=s3.secret_access_key,
            path_style=s3.path_style,
            url_ttl=s3.url_ttl,
        )
    from imagegen.adapters.local_store import LocalImageStore

    return LocalImageStore(settings.storage_path)


def _processor(settings: Settings) -> ImageProcessor:
    from imagegen.adapters.pillow_images import PillowImageProcessor

    return PillowImageProcessor(settings.upload_max_pixels)


def _ping(redis: Redis[bytes]) -> None:
    redis.ping()


def _redis(settings: Settings) -> Redis[bytes] | None:
    if settings.redis_url is None:
        return None
    return Redis.from_url(
        settings.redis_url, socket_timeout=5, socket_connect_timeout=2
    )


def _throttle(
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


def _mailer(mail: MailSettings) -> Mailer:
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


def _mail_throttle(
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
