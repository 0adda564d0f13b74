"""The composition root: the one place that turns settings into adapters."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import MetaData

from imagegen.adapters.thread_queue import ThreadTaskQueue
from imagegen.application.account_mail import AccountMailDeps
from imagegen.application.accounts import AccountDeps, decoy_hash
from imagegen.application.event_stream import StreamLimits
from imagegen.application.generation import run_generation_job
from imagegen.application.images import ImageDeps
from imagegen.application.job_support import JobDeps
from imagegen.application.mail_delivery import DeliveryDeps, deliver_mail
from imagegen.application.ports import (
    ChannelAuthorizer,
    Clock,
    EventFeed,
    IdSource,
    ImageGenerator,
    ImageProcessor,
    ImageStore,
    LoginThrottle,
    Mailer,
    Notifier,
    PasswordHasher,
    StreamSlots,
    TaskQueue,
    Throttle,
    UnitOfWorkFactory,
)
from imagegen.application.realtime import PusherClientConfig, RealtimeDeps
from imagegen.application.reaper import reap_stale_jobs
from imagegen.config import MailSettings, PusherSettings, Settings
from imagegen.domain.jobs import Provider, QuotaPolicy
from imagegen.domain.stream_tokens import StreamTokens
from imagegen.domain.tokens import MailTokens

if TYPE_CHECKING:
    from imagegen.adapters.pusher_notifier import PusherNotifier

log = logging.getLogger(__name__)

Check = Callable[[], None]
Task = Callable[..., None]


class EventHub(Notifier, EventFeed, Protocol):
    """Where published events meet the event streams that listen for them."""

    def close(self) -> None: ...


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
    notifier: Notifier
    generators: dict[Provider, ImageGenerator]
    # Where open event streams listen; the notifier publishes into it.
    events: EventFeed
    stream_slots: StreamSlots
    redis: Redis[bytes] | None = None
    # Signs Pusher subscriptions; None when Pusher is not configured.
    pusher: ChannelAuthorizer | None = None
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

    @cached_property
    def jobs(self) -> JobDeps:
        jobs = self.settings.jobs
        return JobDeps(
            uow=self.uow,
            queue=self.queue,
            notifier=self.notifier,
            clock=self.clock,
            ids=self.ids,
            images=self.images,
            generators=self.generators,
            default_provider=Provider(jobs.provider),
            quota=QuotaPolicy(jobs.daily_variations, jobs.max_active),
            stale_after=timedelta(seconds=jobs.stale_after),
            max_attempts=jobs.max_attempts,
            require_verified_email=self.settings.require_verified_email,
        )

    @cached_property
    def realtime(self) -> RealtimeDeps:
        live = self.settings.realtime
        return RealtimeDeps(
            accounts=self.accounts,
            feed=self.events,
            slots=self.stream_slots,
            tokens=StreamTokens(self.settings.secret_key),
            limits=StreamLimits(
                heartbeat=live.heartbeat_seconds,
                max_duration=live.stream_max_seconds,
                max_streams=live.max_streams_per_user,
            ),
            token_ttl=live.stream_token_ttl,
            pusher=_pusher_client(live.pusher),
            authorizer=self.pusher,
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
    events_redis = _events_redis(settings)
    hub = overrides.pop("events", None) or _event_hub(settings, events_redis)
    pusher = overrides.pop("pusher", None) or _pusher(settings.realtime.pusher)
    services = Services(
        settings=settings,
        clock=clock,
        ids=overrides.pop("ids", None) or RandomIdSource(),
        hasher=overrides.pop("hasher", None) or Argon2PasswordHasher(),
        uow=uow,
        store=overrides.pop("store", None) or _store(settings),
        processor=overrides.pop("processor", None) or _processor(settings),
        throttle=overrides.pop("throttle", None) or _throttle(settings, redis, clock),
        queue=overrides.pop("queue", None) or _queue(settings, redis),
        mailer=overrides.pop("mailer", None) or _mailer(settings.mail),
        mail_throttle=overrides.pop("mail_throttle", None)
        or _mail_throttle(settings, redis, clock),
        notifier=overrides.pop("notifier", None) or _notifier(hub, pusher),
        generators=overrides.pop("generators", None) or _generators(settings),
        events=hub,
        stream_slots=overrides.pop("stream_slots", None)
        or _stream_slots(settings, events_redis),
        redis=redis,
        pusher=pusher,
        checks=checks,
    )
    services.closers.append(hub.close)
    if events_redis is not None:
        services.closers.append(events_redis.close)
    services.tasks.update(_tasks(services))
    if isinstance(services.queue, ThreadTaskQueue):
        services.queue.handlers.update(services.tasks)
        services.closers.append(services.queue.close)
        services.closers.append(start_reaper(services))
    services.checks.setdefault("storage", services.store.ping)
    if redis is not None:
        services.checks.setdefault("redis", lambda: _ping(redis))
        services.closers.append(redis.close)
    if overrides:
        raise TypeError(f"unknown overrides: {', '.join(sorted(overrides))}")
    return services


def _tasks(services: Services) -> dict[str, Task]:
    """Bind each background task to this process's services."""
    return {
        "send_mail": partial(deliver_mail, services.mail_delivery),
        "run_generation": lambda job_id: run_generation_job(services.jobs, job_id),
    }


def start_reaper(services: Services) -> Callable[[], None]:
    """Take back jobs of dead workers from a thread of this process; return stop."""
    from imagegen.adapters.periodic import PeriodicThread

    every = services.jobs.heartbeat_every
    reaper = PeriodicThread("job reaper", every, lambda: reap_stale_jobs(services.jobs))
    return reaper.start().stop


def _queue(settings: Settings, redis: Redis[bytes] | None) -> TaskQueue:
    if settings.queue_connection == "redis":
        from imagegen.adapters.rq_queue import RqTaskQueue

        assert redis is not None, "config requires REDIS_URL for QUEUE_CONNECTION=redis"
        return RqTaskQueue(
            redis, settings.redis_queue, job_timeout=settings.jobs.timeout
        )
    return ThreadTaskQueue()


def _notifier(hub: EventHub, pusher: PusherNotifier | None) -> Notifier:
    """Publish to the event stream's hub, and to Pusher when it is configured."""
    from imagegen.adapters.fanout_notifier import FanOutNotifier

    sinks: dict[str, Notifier] = {"event stream": hub}
    if pusher is not None:
        sinks["pusher"] = pusher
    return FanOutNotifier(sinks)


def _generators(settings: Settings) -> dict[Provider, ImageGenerator]:
    from imagegen.adapters.local_generator import LocalImageGenerator
    from imagegen.adapters.openai_generator import OpenAIImageGenerator

    ai = settings.openai
    return {
        Provider.LOCAL: LocalImageGenerator(),
        Provider.OPENAI: OpenAIImageGenerator(
            ai.api_key,
            model=ai.image_model,
            base_url=ai.base_url,
            timeout=ai.timeout,
            max_retries=ai.max_retries,
        ),
    }


def _events_redis(settings: Settings) -> Redis[bytes] | None:
    """Return a Redis client for events: short timeouts, no retries.

    A job publishes through it, and must never wait long on it.
    """
    if settings.redis_url is None:
        return None
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        health_check_interval=15,
        retry=Retry(NoBackoff(), 0),
    )


def _event_hub(settings: Settings, redis: Redis[bytes] | None) -> EventHub:
    live = settings.realtime
    if redis is not None:
        from imagegen.adapters.redis_event_hub import RedisEventHub

        return RedisEventHub(
            redis,
            prefix=settings.redis_prefix,
            replay_seconds=live.replay_seconds,
            replay_size=live.replay_size,
        )
    from imagegen.adapters.memory_event_hub import MemoryEventHub

    log.info("event stream: in process memory (set REDIS_URL to share it)")
    return MemoryEventHub(
        replay_seconds=live.replay_seconds, replay_size=live.replay_size
    )


def _stream_slots(settings: Settings, redis: Redis[bytes] | None) -> StreamSlots:
    if redis is not None:
        from imagegen.adapters.redis_stream_slots import RedisStreamSlots

        return RedisStreamSlots(redis, prefix=settings.redis_prefix)
    from imagegen.adapters.memory_stream_slots import MemoryStreamSlots

    return MemoryStreamSlots()


def _pusher(pusher: PusherSettings | None) -> PusherNotifier | None:
    if pusher is None:
        return None
    from imagegen.adapters.pusher_notifier import PusherNotifier

    return PusherNotifier(
        app_id=pusher.app_id,
        key=pusher.key,
        secret=pusher.secret,
        cluster=pusher.cluster,
        host=pusher.host,
        port=pusher.port,
        scheme=pusher.scheme,
        timeout=pusher.timeout,
    )


def _pusher_client(pusher: PusherSettings | None) -> PusherClientConfig | None:
    """Return what a browser needs to reach Pusher: no secret."""
    if pusher is None:
        return None
    return PusherClientConfig(
        key=pusher.key,
        cluster=pusher.cluster,
        host=pusher.host,
        port=pusher.port,
        scheme=pusher.scheme,
    )


def database_metadata() -> MetaData:
    """Return the schema the migrations keep in step with."""
    from imagegen.adapters.sqlalchemy.tables import metadata

    return metadata


def migrations_directory() -> Path:
    """Return the Alembic scripts' folder (Flask-Migrate's `directory`)."""
    from imagegen.adapters.sqlalchemy.migrations import MIGRATIONS_DIRECTORY

    return MIGRATIONS_DIRECTORY


def prepare_database(url: str) -> None:
    """Make what the database needs before a first connection (a SQLite folder)."""
    from imagegen.adapters.sqlalchemy.engine import ensure_sqlite_directory

    ensure_sqlite_directory(url)


def _database(settings: Settings) -> tuple[UnitOfWorkFactory, Check]:
    from imagegen.adapters.sqlalchemy.engine import make_engine, ping
    from imagegen.adapters.sqlalchemy.unit_of_work import SqlUnitOfWork

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
