"""bootstrap(): build every adapter the settings name, once per process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from redis import Redis

from imagegen.adapters.thread_queue import ThreadTaskQueue
from imagegen.application.generation import run_generation_job
from imagegen.application.mail_delivery import deliver_mail
from imagegen.application.orphans import sweep_orphans
from imagegen.application.reaper import reap_stale_jobs
from imagegen.bootstrap import accounts, persistence, realtime, work
from imagegen.bootstrap.services import Check, EventHub, Services, Task
from imagegen.config import Settings


def bootstrap(settings: Settings, **overrides: Any) -> Services:
    """Build the real adapters the settings name; overrides replace any of them."""
    from imagegen.adapters.argon2_hasher import Argon2PasswordHasher
    from imagegen.adapters.system import RandomIdSource, SystemClock

    def given(name: str, build: Callable[[], Any]) -> Any:
        return overrides.pop(name, None) or build()

    clock = given("clock", SystemClock)
    redis = given("redis", lambda: work.redis_client(settings))
    checks: dict[str, Check] = overrides.pop("checks", {})
    uow = overrides.pop("uow", None)
    if uow is None:
        uow, checks["database"] = persistence.database(settings)
    events_redis = realtime.events_redis(settings)
    hub = given("events", lambda: realtime.event_hub(settings, events_redis))
    pusher = given("pusher", lambda: realtime.pusher_notifier(settings.realtime.pusher))
    services = Services(
        settings=settings,
        clock=clock,
        ids=given("ids", RandomIdSource),
        hasher=given("hasher", Argon2PasswordHasher),
        uow=uow,
        store=given("store", lambda: persistence.image_store(settings)),
        processor=given("processor", lambda: persistence.image_processor(settings)),
        throttle=given(
            "throttle", lambda: accounts.login_throttle(settings, redis, clock)
        ),
        queue=given("queue", lambda: work.task_queue(settings, redis)),
        mailer=given("mailer", lambda: accounts.mailer(settings.mail)),
        mail_throttle=given(
            "mail_throttle", lambda: accounts.mail_throttle(settings, redis, clock)
        ),
        notifier=given("notifier", lambda: realtime.notifier(hub, pusher)),
        generators=given("generators", lambda: work.generators(settings)),
        events=hub,
        stream_slots=given(
            "stream_slots", lambda: realtime.stream_slots(settings, events_redis)
        ),
        redis=redis,
        pusher=pusher,
        checks=checks,
    )
    if overrides:
        raise TypeError(f"unknown overrides: {', '.join(sorted(overrides))}")
    _finish(services, hub, events_redis)
    return services


def _finish(
    services: Services, hub: EventHub, events_redis: Redis[bytes] | None
) -> None:
    """Bind the tasks, add readiness checks, and register what to close."""
    services.closers.append(hub.close)
    if events_redis is not None:
        services.closers.append(events_redis.close)
    services.tasks.update(_tasks(services))
    if isinstance(services.queue, ThreadTaskQueue):
        # The embedded setup is its own worker: it runs the tasks and the
        # maintenance a worker process would.
        services.queue.handlers.update(services.tasks)
        services.closers.append(services.queue.close)
        services.closers.append(start_maintenance(services))
    services.checks.setdefault("storage", services.store.ping)
    if services.redis is not None:
        redis = services.redis
        services.checks.setdefault("redis", lambda: work.ping_redis(redis))
        services.closers.append(redis.close)


def _tasks(services: Services) -> dict[str, Task]:
    """Bind each background task to this process's services."""
    return {
        "send_mail": partial(deliver_mail, services.mail_delivery),
        "run_generation": lambda job_id: run_generation_job(services.jobs, job_id),
    }


def start_maintenance(services: Services) -> Callable[[], None]:
    """Reap dead workers' jobs and sweep orphaned objects from threads; return stop.

    Every worker process runs these, and so does the embedded setup.
    """
    from imagegen.adapters.periodic import PeriodicThread

    grace = timedelta(seconds=services.settings.orphan_grace_seconds)
    threads = [
        PeriodicThread(
            "job reaper",
            services.jobs.heartbeat_every,
            lambda: reap_stale_jobs(services.jobs),
        ),
        PeriodicThread(
            "orphan sweep",
            grace.total_seconds(),
            lambda: sweep_orphans(services.images, grace=grace),
        ),
    ]
    for thread in threads:
        thread.start()

    def stop() -> None:
        for thread in threads:
            thread.stop()

    return stop
