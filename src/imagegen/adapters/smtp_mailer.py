"""Mail over SMTP with smtplib: STARTTLS, implicit TLS or plain, optional AUTH."""

from __future__ import annotations

import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from imagegen.application.ports import MailMessage, MailNotSent

ENCRYPTIONS = ("tls", "ssl", "none")


class SmtpMailer:
    """Sends each message in its own SMTP session.

    "tls" upgrades a plain connection with STARTTLS (port 587), "ssl" speaks
    TLS from the first byte (port 465), "none" sends in clear (a relay on
    loopback). Failures become MailNotSent; 4xx replies and network errors
    are temporary, 5xx replies and bad certificates are not.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        from_address: str,
        from_name: str = "",
        encryption: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if encryption not in ENCRYPTIONS:
            raise ValueError(f"encryption must be one of {', '.join(ENCRYPTIONS)}")
        self._host = host
        self._port = port
        self._encryption = encryption
        self._credentials = (username, password or "") if username else None
        self._timeout = timeout
        self._context = ssl_context or ssl.create_default_context()
        self._sender = Address(display_name=from_name, addr_spec=from_address)

    def send(self, message: MailMessage) -> None:
        """Hand message to the server; raise MailNotSent when it is not taken."""
        mime = self._compose(message)
        try:
            with self._connect() as smtp:
                if self._credentials is not None:
                    smtp.login(*self._credentials)
                smtp.send_message(mime)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            temporary = all(400 <= code < 500 for code in codes)
            reason = f"recipient refused ({codes})"
            raise MailNotSent(reason, temporary=temporary) from exc
        except smtplib.SMTPResponseException as exc:
            raise _refused(exc) from exc
        except (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError) as exc:
            raise MailNotSent(f"{self._server}: {exc}", temporary=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            reason = f"{self._server} unreachable ({type(exc).__name__}: {exc})"
            raise MailNotSent(reason, temporary=True) from exc

    @property
    def _server(self) -> str:
        return f"SMTP server {self._host}:{self._port}"

    def _connect(self) -> smtplib.SMTP:
        if self._encryption == "ssl":
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._context
            )
        smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        if self._encryption == "tls":
            try:
                smtp.starttls(context=self._context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _compose(self, message: MailMessage) -> EmailMessage:
        mime = EmailMessage()
        mime["From"] = self._sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = formatdate(usegmt=True)
        mime["Message-ID"] = make_msgid(domain=self._sender.domain or None)
        mime.set_content(message.text)
        mime.add_alternative(message.html, subtype="html")
        return mime


def _refused(exc: smtplib.SMTPResponseException) -> MailNotSent:
    reply = exc.smtp_error
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return MailNotSent(
        f"server replied {exc.smtp_code} {text[:200]}",
        temporary=400 <= exc.smtp_code < 500,
    )
