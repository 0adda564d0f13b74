"""A real SMTP server on loopback (aiosmtpd) that keeps what it is sent.

Not a plugin: tests build the server they need with ``running`` and read the
messages off its ``Inbox``.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.deployment import free_port

HOST = "127.0.0.1"
LINK = re.compile(r"https?://[^\s\"<>]+")


@dataclass
class Inbox:
    """An aiosmtpd handler: refuses with each of `refusals` first, then keeps mail."""

    refusals: list[str] = field(default_factory=list)
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        with self._lock:
            self.attempts += 1
            if self.refusals:
                return self.refusals.pop(0)
            raw = envelope.original_content or b""
            parsed = message_from_bytes(raw, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.messages.append(parsed)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 2.0.0 OK: queued"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@contextmanager
def running(inbox: Inbox, **options: Any) -> Iterator[int]:
    """Serve inbox on a free loopback port for the length of the block."""
    controller = Controller(inbox, hostname=HOST, port=free_port(), **options)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


class Passwords:
    """An aiosmtpd authenticator that knows one login and records attempts."""

    def __init__(self, username: str, password: str) -> None:
        self.expected = (username.encode(), password.encode())
        self.tried: list[str] = []

    def __call__(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        data: Any,
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.tried.append(data.login.decode())
        if (data.login, data.password) != self.expected:
            # handled=False: aiosmtpd answers the 535 itself.
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=data.login)


def text_part(message: EmailMessage) -> str:
    return _part(message, "plain")


def html_part(message: EmailMessage) -> str:
    return _part(message, "html")


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert body is not None, f"no text/{subtype} part"
    content = str(body.get_content())  # type: ignore[attr-defined]
    return content.replace("\r\n", "\n")


def links_in(message: EmailMessage) -> list[str]:
    """Return the links in the plain-text part, in order."""
    return LINK.findall(text_part(message))


def self_signed(directory: Path) -> tuple[Path, Path]:
    """Write a certificate and key for 127.0.0.1; return their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def client_context(cert: Path) -> ssl.SSLContext:
    """A client context that trusts only the test certificate."""
    return ssl.create_default_context(cafile=str(cert))
