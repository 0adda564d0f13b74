"""Log handlers, configured once per process: JSON lines or readable text."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from imagegen.config import Settings

# A token in a query string: the event stream's (EventSource cannot send
# headers), or any other a client put there.
QUERY_TOKEN = re.compile(r"([?&][a-z_-]*(?:token|signature)=)[^&\s\"']+", re.IGNORECASE)
# Request logs print URLs whole: the servers' as clients sent them, urllib3's
# (at DEBUG) as the Pusher SDK and boto3 signed them. (The development log
# mailer prints its links on purpose, and only outside production.)
REQUEST_LOGGERS = ("werkzeug", "gunicorn", "urllib3")


class RedactTokensFilter(logging.Filter):
    """Blank out tokens in the URLs that request logs print."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] not in REQUEST_LOGGERS:
            return True
        message = record.getMessage()
        redacted = QUERY_TOKEN.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request id, when there is one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(settings: Settings) -> None:
    """Install one handler on the root logger, replacing any earlier one of ours."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("imagegen")
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactTokensFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
            )
        )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "imagegen"]
    root.addHandler(handler)
    root.setLevel(settings.log_level)


def _request_id() -> str | None:
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover - flask is a dependency
        return None
    return str(g.get("request_id")) if has_request_context() else None
