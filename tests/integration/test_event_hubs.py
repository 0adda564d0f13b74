"""Both event hubs keep one contract: per-user, in order, replayable for a while.

The Redis hub runs against this machine's Redis under a prefix of the test's
own; the in-process hub needs nothing.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from imagegen.adapters.event_subscription import QueueSubscription
from imagegen.adapters.memory_event_hub import MemoryEventHub
from imagegen.adapters.redis_event_hub import RedisEventHub
from imagegen.application.ports import Event, StreamedEvent
from imagegen.domain.errors import ServiceUnavailable

Hub = MemoryEventHub | RedisEventHub
REPLAY_SIZE = 20
# Generous: only a broken hub takes anywhere near this long.
DEADLINE = 20.0


def events_client(url: str, name: str | None = None) -> Redis[bytes]:
    """A client made as bootstrap makes the events one: short timeouts."""
    return Redis.from_url(
        url,
        client_name=name,
        socket_timeout=1.0,
        socket_connect_timeout=1.0,
        health_check_interval=15,
        retry=Retry(NoBackoff(), 0),
    )


@pytest.fixture(params=["memory", "redis"])
def hub(request: pytest.FixtureRequest) -> Iterator[Hub]:
    made: Hub
    if request.param == "memory":
        made = MemoryEventHub(replay_seconds=300, replay_size=REPLAY_SIZE)
    else:
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        made = RedisEventHub(
            events_client(url),
            prefix=prefix,
            replay_seconds=300,
            replay_size=REPLAY_SIZE,
        )
    yield made
    made.close()
    if isinstance(made, RedisEventHub):
        made.redis.close()


@pytest.fixture
def redis_hubs(redis_url: str, redis_prefix: str) -> Iterator[list[RedisEventHub]]:
    """Make hubs as separate processes would: each with its own client."""
    made: list[RedisEventHub] = []
    yield made
    for hub in made:
        hub.close()
        hub.redis.close()


def redis_hub(
    url: str, prefix: str, made: list[RedisEventHub], **kw: str
) -> RedisEventHub:
    hub = RedisEventHub(
        events_client(url, kw.get("name")),
        prefix=prefix,
        replay_seconds=60,
        replay_size=5,
    )
    made.append(hub)
    return hub


def progress(user_id: str, seq: int) -> Event:
    return Event("generation.progress", user_id, {"job_id": "j1", "seq": seq})


def receive(subscription: QueueSubscription, count: int) -> list[StreamedEvent]:
    """Wait for count events, failing past a generous deadline."""
    received: list[StreamedEvent] = []
    deadline = time.monotonic() + DEADLINE
    while len(received) < count:
        assert time.monotonic() < deadline, f"only {len(received)} of {count} came"
        received += subscription.next_events(0.2)
    return received


def seqs(events: list[StreamedEvent]) -> list[object]:
    return [event.data["seq"] for event in events]


def test_a_users_events_arrive_in_order_and_only_to_them(hub: Hub) -> None:
    ada, bob = hub.subscribe("ada", None), hub.subscribe("bob", None)

    for seq in range(1, 6):
        hub.publish(progress("ada", seq))
    hub.publish(progress("bob", 100))

    got = receive(ada, 5)
    assert seqs(got) == [1, 2, 3, 4, 5]
    assert [e.name for e in got] == ["generation.progress"] * 5
    assert seqs(receive(bob, 1)) == [100]
    assert ada.next_events(0.3) == []


def test_event_ids_rise(hub: Hub) -> None:
    ada = hub.subscribe("ada", None)

    for seq in range(1, 4):
        hub.publish(progress("ada", seq))

    ids = [event.id for event in receive(ada, 3)]
    keys = [tuple(int(part) for part in i.split("-")) for i in ids]
    assert keys == sorted(keys) and len(set(keys)) == 3


def test_a_reconnect_gets_what_it_missed_then_what_comes(hub: Hub) -> None:
    first = hub.subscribe("ada", None)
    for seq in range(1, 4):
        hub.publish(progress("ada", seq))
    seen = receive(first, 1)[0]
    first.close()

    again = hub.subscribe("ada", seen.id)
    hub.publish(progress("ada", 4))

    assert seqs(receive(again, 3)) == [2, 3, 4]


def test_a_fresh_stream_gets_no_old_events(hub: Hub) -> None:
    hub.publish(progress("ada", 1))

    ada = hub.subscribe("ada", None)
    hub.publish(progress("ada", 2))

    assert seqs(receive(ada, 1)) == [2]
    assert ada.next_events(0.3) == []


def test_the_replay_keeps_only_the_newest_events(hub: Hub) -> None:
    for seq in range(1, REPLAY_SIZE + 11):
        hub.publish(progress("ada", seq))

    ada = hub.subscribe("ada", "0-0")

    assert seqs(receive(ada, REPLAY_SIZE)) == list(range(11, REPLAY_SIZE + 11))


def test_a_closed_subscription_hears_nothing_more(hub: Hub) -> None:
    ada = hub.subscribe("ada", None)
    ada.close()

    hub.publish(progress("ada", 1))

    assert ada.next_events(0.3) == []


def test_data_arrives_as_plain_json(hub: Hub) -> None:
    ada = hub.subscribe("ada", None)

    hub.publish(Event("generation.variation", "ada", {"image": {"w": 2}, "n": None}))

    [received] = receive(ada, 1)
    assert received.data == {"image": {"w": 2}, "n": None}


def test_another_process_hears_what_one_publishes(
    redis_url: str, redis_prefix: str, redis_hubs: list[RedisEventHub]
) -> None:
    web = redis_hub(redis_url, redis_prefix, redis_hubs)
    worker = redis_hub(redis_url, redis_prefix, redis_hubs)
    ada = web.subscribe("ada", None)

    worker.publish(progress("ada", 1))

    assert seqs(receive(ada, 1)) == [1]


def test_the_listener_comes_back_after_losing_its_connection(
    redis_url: str,
    redis_prefix: str,
    redis_client: Redis[bytes],
    redis_hubs: list[RedisEventHub],
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = f"{redis_prefix}-listener"
    hub = redis_hub(redis_url, redis_prefix, redis_hubs, name=name)
    ada = hub.subscribe("ada", None)
    hub.publish(progress("ada", 1))
    receive(ada, 1)

    with caplog.at_level(logging.INFO):
        killed = kill_subscribers(redis_client, name)
        hub.publish(progress("ada", 2))
        hub.publish(progress("ada", 3))
        arrived = receive(ada, 2)

    assert killed == 1
    assert seqs(arrived) == [2, 3]
    assert "event listener: Redis unreachable (ConnectionError)" in caplog.text
    assert "event listener: reconnected to Redis" in caplog.text


def test_an_unreachable_redis_refuses_streams_and_raises_on_publish() -> None:
    hub = RedisEventHub(
        events_client(f"redis://127.0.0.1:{closed_port()}/0"),
        prefix="nowhere",
        replay_seconds=60,
        replay_size=5,
        ready_timeout=0.5,
    )

    with pytest.raises(RedisError):
        hub.publish(progress("ada", 1))
    with pytest.raises(ServiceUnavailable):
        hub.subscribe("ada", None)
    hub.close()
    hub.redis.close()


def kill_subscribers(client: Redis[bytes], name: str) -> int:
    """Drop the subscribed connections named name: ours, never another run's."""
    killed = 0
    for entry in client.client_list(_type="pubsub"):
        if entry.get("name") == name:
            killed += client.client_kill_filter(_id=entry["id"])
    return killed


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
