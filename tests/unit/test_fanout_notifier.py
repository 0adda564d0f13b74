"""The fan-out notifier: every sink hears every event, none can fail a job."""

from __future__ import annotations

import logging

import pytest

from imagegen.adapters.fanout_notifier import FanOutNotifier
from imagegen.application.ports import Event
from tests.fakes import FakeNotifier, FakeTimer


class BrokenSink:
    """A sink that raises until fixed, counting its attempts."""

    def __init__(self) -> None:
        self.attempts = 0
        self.broken = True

    def publish(self, event: Event) -> None:
        self.attempts += 1
        if self.broken:
            raise ConnectionError("https://api.example/apps/1?auth_signature=abc")


def event(seq: int) -> Event:
    return Event("generation.progress", "ada", {"job_id": "j1", "seq": seq})


def test_every_sink_hears_every_event() -> None:
    first, second = FakeNotifier(), FakeNotifier()
    notifier = FanOutNotifier({"one": first, "two": second})

    notifier.publish(event(1))
    notifier.publish(event(2))

    assert first.events == second.events == [event(1), event(2)]


def test_a_failing_sink_is_logged_once_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, healthy, timer = BrokenSink(), FakeNotifier(), FakeTimer()
    notifier = FanOutNotifier(
        {"pusher": broken, "stream": healthy}, cooldown=30, monotonic=timer
    )

    with caplog.at_level(logging.INFO):
        for seq in range(1, 4):
            notifier.publish(event(seq))
            timer.advance(31)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "pusher" in warnings[0].getMessage()
    assert "ConnectionError" in warnings[0].getMessage()
    assert "auth_signature" not in caplog.text
    assert len(healthy.events) == 3


def test_a_failing_sink_rests_for_the_cool_down_then_is_tried_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, timer = BrokenSink(), FakeTimer()
    notifier = FanOutNotifier({"pusher": broken}, cooldown=30, monotonic=timer)

    notifier.publish(event(1))
    notifier.publish(event(2))
    notifier.publish(event(3))
    assert broken.attempts == 1

    timer.advance(30)
    broken.broken = False
    with caplog.at_level(logging.INFO):
        notifier.publish(event(4))

    assert broken.attempts == 2
    assert "delivering again; 3 events were lost" in caplog.text
