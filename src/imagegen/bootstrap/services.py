"""The process's services: every adapter, and the dependencies each use-case takes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Protocol

from redis import Redis

from imagegen.application.account_mail import AccountMailDeps
from imagegen.application.accounts import AccountDeps, decoy_hash
from imagegen.application.event_stream import StreamLimits
from imagegen.application.images import ImageDeps
from imagegen.application.job_support import JobDeps
from imagegen.application.mail_delivery import DeliveryDeps
from imagegen.application.ports import (
    ChannelAuthorizer,
    Clock,
    EventFeed,
    IdSource,
    ImageGenerator,
    ImageProcessor,
    ImageStore,
    Mailer,
    Notifier,
    PasswordHasher,
    StreamSlots,
    TaskQueue,
    Throttle,
    UnitOfWorkFactory,
)
from imagegen.application.realtime import PusherClientConfig, RealtimeDeps
from imagegen.config import PusherSettings, Settings
from imagegen.domain.jobs import Provider, QuotaPolicy
from imagegen.domain.stream_tokens import StreamTokens
from imagegen.domain.tokens import MailTokens

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
    throttle: Throttle
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
    # Set when the process begins a graceful stop (see gunicorn_conf).
    stopping: threading.Event = field(default_factory=threading.Event)

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
            stopping=self.stopping.is_set,
        )

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


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
