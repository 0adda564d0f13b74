from __future__ import annotations

import pytest

from imagegen.config import ConfigError, Settings, load_settings

SECRET = {"JWT_SECRET_KEY": "p" * 40}
SMTP = {
    "MAIL_MAILER": "smtp",
    "MAIL_HOST": "smtp.example.com",
    "MAIL_FROM_ADDRESS": "noreply@example.com",
}


def settings(**env: str) -> Settings:
    return load_settings(env)


def refusal(**env: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    return str(caught.value)


def test_development_logs_mail_with_no_settings() -> None:
    mail = settings().mail

    assert (mail.mailer, mail.encryption, mail.send_attempts) == ("log", "none", 3)
    assert settings().require_verified_email is False


def test_smtp_reads_the_laravel_names() -> None:
    mail = settings(
        **SMTP,
        MAIL_PORT="2525",
        MAIL_USERNAME="mailer",
        MAIL_PASSWORD="hunter2-secret",
        MAIL_ENCRYPTION="tls",
        MAIL_FROM_NAME="Image Gen",
    ).mail

    assert (mail.host, mail.port, mail.encryption) == ("smtp.example.com", 2525, "tls")
    assert (mail.username, mail.password) == ("mailer", "hunter2-secret")
    assert (mail.from_address, mail.from_name) == ("noreply@example.com", "Image Gen")


def test_laravel_nulls_mean_unset() -> None:
    mail = settings(
        **SMTP, MAIL_USERNAME="null", MAIL_PASSWORD="null", MAIL_ENCRYPTION="null"
    ).mail

    assert (mail.username, mail.password, mail.encryption) == (None, None, "none")


@pytest.mark.parametrize(
    ("encryption", "port"), [("tls", 587), ("ssl", 465), ("none", 25)]
)
def test_the_port_follows_the_encryption(encryption: str, port: int) -> None:
    assert settings(**SMTP, MAIL_ENCRYPTION=encryption).mail.port == port


def test_the_password_stays_out_of_the_settings_repr() -> None:
    loaded = settings(**SMTP, MAIL_PASSWORD="hunter2-secret")

    assert "hunter2-secret" not in repr(loaded)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MAIL_MAILER": "sendmail"}, "MAIL_MAILER"),
        ({**SMTP, "MAIL_ENCRYPTION": "starttls"}, "MAIL_ENCRYPTION"),
        ({**SMTP, "MAIL_PORT": "seventy"}, "MAIL_PORT"),
        ({"MAIL_MAILER": "smtp", "MAIL_FROM_ADDRESS": "a@b.c"}, "MAIL_HOST"),
        ({"MAIL_MAILER": "smtp", "MAIL_HOST": "h"}, "MAIL_FROM_ADDRESS"),
        ({**SMTP, "MAIL_FROM_ADDRESS": "not an address"}, "MAIL_FROM_ADDRESS"),
        ({"MAIL_SEND_ATTEMPTS": "0"}, "MAIL_SEND_ATTEMPTS"),
        ({"REQUIRE_VERIFIED_EMAIL": "maybe"}, "REQUIRE_VERIFIED_EMAIL"),
        ({"PASSWORD_RESET_TTL": "5"}, "PASSWORD_RESET_TTL"),
    ],
)
def test_a_bad_setting_is_named_in_one_line(env: dict[str, str], named: str) -> None:
    message = refusal(**env)

    assert message.startswith(named + ":")
    assert "\n" not in message


def test_production_refuses_the_log_mailer() -> None:
    assert refusal(APP_ENV="production", **SECRET).startswith("MAIL_MAILER:")


def test_production_accepts_smtp() -> None:
    loaded = settings(APP_ENV="production", **SECRET, **SMTP)

    assert loaded.mail.mailer == "smtp"


def test_generation_can_require_a_verified_address() -> None:
    assert settings(REQUIRE_VERIFIED_EMAIL="true").require_verified_email is True
