"""Tokens in the URLs that request logs print never reach a log line."""

from __future__ import annotations

import logging

import pytest

from imagegen.entrypoints.logging_setup import RedactTokensFilter


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (
            '"GET /api/realtime/events?token=eyJ.abc HTTP/1.1" 200',
            "/api/realtime/events",
        ),
        ("GET /x?a=1&X-Amz-Signature=ff00&b=2", "a=1&X-Amz-Signature=[redacted]&b=2"),
        ("GET /x?access_token=secret", "access_token=[redacted]"),
        ("POST /apps/1/events?auth_key=k&auth_signature=ff00", "auth_key=k"),
    ],
)
@pytest.mark.parametrize("logger", ["werkzeug", "gunicorn.access", "urllib3.pool"])
def test_tokens_in_urls_are_blanked(line: str, kept: str, logger: str) -> None:
    record = logging.LogRecord(logger, logging.INFO, "", 0, "%s", (line,), None)

    RedactTokensFilter().filter(record)

    message = record.getMessage()
    assert kept in message
    assert "eyJ" not in message and "ff00" not in message and "secret" not in message


def test_lines_without_tokens_keep_their_arguments() -> None:
    record = logging.LogRecord(
        "werkzeug", logging.INFO, "", 0, "job %s: %d", ("j", 3), None
    )

    RedactTokensFilter().filter(record)

    assert (record.msg, record.args) == ("job %s: %d", ("j", 3))
