from __future__ import annotations

from imagegen.adapters.memory_throttle import MemoryLoginThrottle
from tests.fakes import FakeClock


def test_a_key_is_locked_after_max_failures_until_the_window_ends() -> None:
    clock = FakeClock()
    throttle = MemoryLoginThrottle(clock, max_failures=3, lockout=60)
    for _ in range(3):
        throttle.record_failure("ada")

    locked = throttle.retry_after("ada")
    clock.advance(61)

    assert locked == 60
    assert throttle.retry_after("ada") is None
    assert throttle.retry_after("bob") is None


def test_reset_forgets_failures() -> None:
    throttle = MemoryLoginThrottle(FakeClock(), max_failures=2, lockout=60)
    throttle.record_failure("ada")
    throttle.record_failure("ada")

    throttle.reset("ada")

    assert throttle.retry_after("ada") is None
