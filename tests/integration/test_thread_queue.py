"""The in-process task queue of the embedded setup."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from imagegen.adapters.thread_queue import ThreadTaskQueue


@pytest.fixture
def ran() -> list[tuple[str, ...]]:
    return []


@pytest.fixture
def queue(ran: list[tuple[str, ...]]) -> Iterator[ThreadTaskQueue]:
    def broken(*args: str) -> None:
        raise RuntimeError("task broke")

    tasks = {"record": lambda *args: ran.append(args), "broken": broken}
    running = ThreadTaskQueue(tasks, workers=2)
    yield running
    running.close()


def test_queued_tasks_run_with_their_arguments(
    queue: ThreadTaskQueue, ran: list[tuple[str, ...]]
) -> None:
    for n in range(5):
        queue.enqueue("record", "job", str(n))

    queue.join()

    assert sorted(ran) == [("job", str(n)) for n in range(5)]


def test_a_failing_task_is_logged_and_the_queue_goes_on(
    queue: ThreadTaskQueue,
    ran: list[tuple[str, ...]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        queue.enqueue("broken", "x")
        queue.join()
    queue.enqueue("record", "after")
    queue.join()

    assert "task broken" in caplog.text
    assert ran == [("after",)]


def test_an_unknown_task_is_refused_at_once(queue: ThreadTaskQueue) -> None:
    with pytest.raises(KeyError):
        queue.enqueue("no-such-task")
