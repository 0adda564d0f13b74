"""The "send_mail" task: hand a queued message to the mailer, retrying a while."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from imagegen.application.ports import Mailer, MailMessage, MailNotSent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryDeps:
    mailer: Mailer
    # Tries in all, and the wait before the first retry (doubled after each).
    attempts: int
    retry_delay: float
    sleep: Callable[[float], None]


def deliver_mail(deps: DeliveryDeps, payload: str) -> None:
    """Send one queued message; retry temporary failures, then log the loss.

    Never raises: the payload holds a token, and a queue logs the arguments
    of a task that fails.
    """
    message = _message(payload)
    if message is None:
        return
    for attempt in range(1, deps.attempts + 1):
        try:
            deps.mailer.send(message)
        except MailNotSent as exc:
            if not exc.temporary or attempt == deps.attempts:
                log.error(
                    "mail %s: not sent (%d attempts): %s", message.about, attempt, exc
                )
                return
            # Not yet: the wait holds this worker rather than re-queueing the
            # mail for later; see README "Limits".
            delay = deps.retry_delay * 2 ** (attempt - 1)
            log.warning(
                "mail %s: attempt %d failed (%s); retrying in %gs",
                message.about,
                attempt,
                exc,
                delay,
            )
            deps.sleep(delay)
        except Exception:
            log.error("mail %s: the mailer failed", message.about, exc_info=True)
            return
        else:
            log.info("mail %s: sent", message.about)
            return


def _message(payload: str) -> MailMessage | None:
    try:
        return MailMessage.from_json(payload)
    except ValueError:
        log.error("mail: dropped a queued payload that is not a message")
        return None
