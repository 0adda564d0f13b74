"""Background work: the task queue, the generators, and Redis for them."""

from __future__ import annotations

from redis import Redis

from imagegen.adapters.thread_queue import ThreadTaskQueue
from imagegen.application.ports import ImageGenerator, TaskQueue
from imagegen.config import Settings
from imagegen.domain.jobs import Provider


def task_queue(settings: Settings, redis: Redis[bytes] | None) -> TaskQueue:
    if settings.queue_connection == "redis":
        from imagegen.adapters.rq_queue import RqTaskQueue

        assert redis is not None, "config requires REDIS_URL for QUEUE_CONNECTION=redis"
        return RqTaskQueue(
            redis, settings.redis_queue, job_timeout=settings.jobs.timeout
        )
    return ThreadTaskQueue()


def generators(settings: Settings) -> dict[Provider, ImageGenerator]:
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


def redis_client(settings: Settings) -> Redis[bytes] | None:
    if settings.redis_url is None:
        return None
    return Redis.from_url(
        settings.redis_url, socket_timeout=5, socket_connect_timeout=2
    )


def ping_redis(redis: Redis[bytes]) -> None:
    redis.ping()
