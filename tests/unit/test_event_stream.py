"""One open event stream: events, heartbeats, its end, and what it gives back."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from imagegen.application.event_stream import (
    HEARTBEAT,
    EventStream,
    StreamEnd,
    StreamItem,
    StreamLimits,
)
from imagegen.application.ports import StreamedEvent
from tests.fakes import FakeStreamSlots, FakeSubscription, FakeTimer

LIMITS = StreamLimits(heartbeat=15, max_duration=60, max_streams=2, recheck=30)


def event(n: int) -> StreamedEvent:
    return StreamedEvent(f"1000-{n}", "generation.progress", {"seq": n})


def make_stream(
    allowed: list[bool] | None = None, still_allowed: Callable[[], bool] | None = None
) -> tuple[EventStream, FakeSubscription, FakeStreamSlots, FakeTimer]:
    timer = FakeTimer()
    subscription = FakeSubscription(timer, "ada", None)
    slots = FakeStreamSlots()
    slots.acquire("ada", "slot-1", limit=2, lease=50)
    answers = iter(allowed or [])
    stream = EventStream(
        subscription,
        user_id="ada",
        slot="slot-1",
        still_allowed=still_allowed or (lambda: next(answers, True)),
        slots=slots,
        limits=LIMITS,
        monotonic=timer,
    )
    return stream, subscription, slots, timer


def test_events_arrive_in_order_then_heartbeats_then_the_end() -> None:
    stream, subscription, slots, _ = make_stream()
    subscription.batches = [[event(1), event(2)], [event(3)]]

    items: list[StreamItem] = list(stream)

    assert items[:3] == [event(1), event(2), event(3)]
    assert items[3:] == [HEARTBEAT] * 3 + [StreamEnd("max_duration")]
    assert slots.renewed == ["slot-1"] * 3


def test_a_stream_whose_session_ended_stops_at_the_next_check() -> None:
    stream, _, _, _ = make_stream(allowed=[False])

    items = list(stream)

    assert items == [HEARTBEAT, StreamEnd("signed_out")]


def test_a_session_check_that_fails_ends_the_stream() -> None:
    def broken() -> bool:
        raise ConnectionError("database away")

    stream, _, _, _ = make_stream(still_allowed=broken)

    assert list(stream)[-1] == StreamEnd("signed_out")


def test_finishing_gives_the_slot_back_and_stops_listening() -> None:
    stream, subscription, slots, _ = make_stream()

    list(stream)

    assert subscription.closed
    assert slots.held["ada"] == set()


def test_a_client_leaving_early_gives_the_slot_back() -> None:
    stream, subscription, slots, _ = make_stream()
    subscription.batches = [[event(1)]]
    items = iter(stream)

    next(items)
    items.close()  # type: ignore[attr-defined]

    assert subscription.closed
    assert slots.held["ada"] == set()


def test_closing_twice_is_harmless() -> None:
    stream, _, slots, _ = make_stream()

    stream.close()
    stream.close()

    assert slots.held["ada"] == set()


def test_waits_never_run_past_the_next_heartbeat() -> None:
    stream, subscription, _, _ = make_stream()
    waits: list[float] = []
    original = subscription.next_events

    def recording(timeout: float) -> list[StreamedEvent]:
        waits.append(timeout)
        return original(timeout)

    subscription.next_events = recording  # type: ignore[method-assign]

    list(itertools.islice(stream, 2))

    assert waits and max(waits) <= LIMITS.heartbeat


def test_a_stopping_server_ends_the_stream_at_its_next_wake_up() -> None:
    timer = FakeTimer()
    subscription = FakeSubscription(timer, "ada", None)
    subscription.batches = [[event(1)], [event(2)]]
    slots = FakeStreamSlots()
    slots.acquire("ada", "slot-1", limit=2, lease=50)
    stopping = iter([False, True])
    stream = EventStream(
        subscription,
        user_id="ada",
        slot="slot-1",
        still_allowed=lambda: True,
        slots=slots,
        limits=LIMITS,
        monotonic=timer,
        stopping=lambda: next(stopping),
    )

    items = list(stream)

    assert items == [event(1), event(2), StreamEnd("server_stopping")]
    assert slots.held["ada"] == set()
