"""Row locks that serialise per-user counting, on each database."""

from __future__ import annotations

import threading

from tests.support.databases import UowFactory
from tests.support.records import a_user, store


def test_a_locked_user_holds_a_second_transaction_until_the_first_ends(
    uow_factory: UowFactory,
) -> None:
    owner = a_user()
    store(uow_factory, owner)
    order: list[str] = []
    started = threading.Event()

    def second() -> None:
        with uow_factory() as uow:
            started.set()
            uow.users.lock(owner.id)
            order.append("second")
            uow.commit()

    with uow_factory() as first:
        first.users.lock(owner.id)
        thread = threading.Thread(target=second)
        thread.start()
        started.wait(30)
        # Time for the second to get through, were the row not held.
        thread.join(0.5)
        order.append("first")
        first.commit()
    thread.join(60)

    assert order == ["first", "second"]
