from __future__ import annotations

import pytest

from imagegen.config import ConfigError, load_settings

SECRET = "s" * 40


def test_development_needs_no_settings_at_all() -> None:
    settings = load_settings({})

    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.s3 is None and settings.redis_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 5000)


def test_production_refuses_to_start_without_a_signing_secret() -> None:
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        load_settings({"APP_ENV": "production"})


def test_a_laravel_base64_app_key_is_accepted() -> None:
    settings = load_settings({"APP_ENV": "testing", "APP_KEY": "base64:" + "QUJD" * 11})

    assert len(settings.secret_key) >= 32


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"DB_CONNECTION": "oracle"}, "DB_CONNECTION"),
        ({"DB_CONNECTION": "pgsql"}, "DB_DATABASE"),
        ({"AWS_BUCKET": "b", "AWS_USE_PATH_STYLE_ENDPOINT": "maybe"}, "AWS_USE_PATH"),
        ({"UPLOAD_MAX_PIXELS": "100000000"}, "UPLOAD_MAX_PIXELS"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
    ],
)
def test_a_bad_setting_is_named_in_one_line(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)

    message = str(caught.value)
    assert message.startswith(named) and "\n" not in message


def test_laravel_database_settings_build_a_url_with_quoted_credentials() -> None:
    settings = load_settings(
        {
            "DB_CONNECTION": "mysql",
            "DB_HOST": "db.internal",
            "DB_DATABASE": "imagegen",
            "DB_USERNAME": "app",
            "DB_PASSWORD": "p@ss:word/1",
        }
    )

    assert settings.database_url == (
        "mysql+pymysql://app:p%40ss%3Aword%2F1@db.internal:3306/imagegen"
    )


def test_bare_database_urls_get_our_drivers() -> None:
    pg = load_settings({"DATABASE_URL": "postgres://u@h/db"}).database_url
    my = load_settings({"DATABASE_URL": "mysql://u@h/db"}).database_url

    assert pg.startswith("postgresql+psycopg://") and my.startswith("mysql+pymysql://")


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = load_settings(
        {
            "JWT_SECRET_KEY": SECRET,
            "DATABASE_URL": "postgresql://u:hunter2@h/db",
            "AWS_BUCKET": "b",
            "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
            "REDIS_URL": "redis://:redispass@h:6379/0",
        }
    )

    text = repr(settings)

    for secret in (SECRET, "hunter2", "aws-secret-value", "redispass"):
        assert secret not in text


def test_redis_host_settings_build_a_url() -> None:
    settings = load_settings({"REDIS_HOST": "cache", "REDIS_PASSWORD": "pw"})

    assert settings.redis_url == "redis://:pw@cache:6379/0"
