from __future__ import annotations

from imagegen.adapters.memory_throttle import MemoryThrottle
from tests.fakes import FakeClock


def test_a_key_is_held_after_its_limit_until_the_window_ends() -> None:
    clock = FakeClock()
    throttle = MemoryThrottle(clock, limit=3, window=60)
    for _ in range(3):
        throttle.record("ada")

    locked = throttle.retry_after("ada")
    clock.advance(61)

    assert locked == 60
    assert throttle.retry_after("ada") is None
    assert throttle.retry_after("bob") is None


def test_reset_forgets_failures() -> None:
    throttle = MemoryThrottle(FakeClock(), limit=2, window=60)
    throttle.record("ada")
    throttle.record("ada")

    throttle.reset("ada")

    assert throttle.retry_after("ada") is None
