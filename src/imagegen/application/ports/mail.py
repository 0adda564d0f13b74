"""Account mail: the message and the mailer that hands it over."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Protocol


@dataclass(frozen=True)
class MailMessage:
    """One mail to one address, with a plain-text and an HTML body."""

    to: str
    subject: str
    text: str
    html: str
    # What the mail is about, for log lines: never an address or a token.
    about: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> MailMessage:
        """Rebuild a message from to_json's output; raise ValueError if it is not."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("a mail message is a JSON object")
        values = {name: data.get(name, "") for name in _MESSAGE_FIELDS}
        if not all(isinstance(value, str) for value in values.values()):
            raise ValueError("every field of a mail message is a string")
        return cls(**values)


_MESSAGE_FIELDS = ("to", "subject", "text", "html", "about")


class MailNotSent(Exception):
    """A mailer could not hand a message over; temporary failures may be retried."""

    def __init__(self, reason: str, *, temporary: bool) -> None:
        super().__init__(reason)
        self.temporary = temporary


class Mailer(Protocol):
    def send(self, message: MailMessage) -> None:
        """Hand message over for delivery now; raise MailNotSent when that fails."""
        ...
