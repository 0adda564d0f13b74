"""Settings, read once from the environment (and .env), typed and validated.

Names follow the original Laravel service's .env, so an existing file keeps
working. A bad or missing required setting stops start-up with one line
naming it.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

DEV_SECRET = "imagegen-development-secret-not-for-production-use!"
ENVIRONMENTS = ("development", "testing", "production")
DB_DRIVERS = {
    "sqlite": "sqlite",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "pgsql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
}
DEFAULT_PORTS = {"mysql+pymysql": 3306, "postgresql+psycopg": 5432}
QUEUE_CONNECTIONS = ("thread", "sync", "redis")
MAILERS = ("log", "smtp")
MAIL_ENCRYPTIONS = ("tls", "ssl", "none")
DEFAULT_MAIL_PORTS = {"tls": 587, "ssl": 465, "none": 25}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    region: str | None
    endpoint_url: str | None
    access_key_id: str | None = field(repr=False)
    secret_access_key: str | None = field(repr=False)
    path_style: bool
    url_ttl: int


@dataclass(frozen=True)
class PusherSettings:
    """Pusher Channels, or a self-hosted server of its protocol at host."""

    app_id: str
    key: str
    secret: str = field(repr=False)
    cluster: str
    host: str | None
    port: int | None
    scheme: str
    timeout: int


@dataclass(frozen=True)
class RealtimeSettings:
    """Live progress: Pusher when configured, and the event stream (SSE)."""

    pusher: PusherSettings | None
    heartbeat_seconds: int
    max_streams_per_user: int
    stream_max_seconds: int
    stream_token_ttl: int
    replay_seconds: int
    replay_size: int


@dataclass(frozen=True)
class MailSettings:
    """How account mail leaves: printed to the log, or sent over SMTP."""

    mailer: str
    host: str
    port: int
    encryption: str
    username: str | None
    password: str | None = field(repr=False)
    from_address: str
    from_name: str
    timeout: int
    send_attempts: int
    retry_delay: int


@dataclass(frozen=True)
class OpenAISettings:
    api_key: str | None = field(repr=False)
    base_url: str | None
    image_model: str
    timeout: int
    max_retries: int


@dataclass(frozen=True)
class JobSettings:
    """Variation jobs: who makes them, how much a user may ask, when one is lost."""

    provider: str
    stale_after: int
    max_attempts: int
    timeout: int
    daily_variations: int
    max_active: int


@dataclass(frozen=True)
class Settings:
    environment: str
    secret_key: str = field(repr=False)
    database_url: str = field(repr=False)
    storage_path: Path
    s3: S3Settings | None
    redis_url: str | None = field(repr=False)
    redis_prefix: str
    host: str
    port: int
    frontend_url: str
    cors_origins: tuple[str, ...]
    log_format: str
    log_level: str
    upload_max_bytes: int
    upload_max_pixels: int
    thumbnail_max_side: int
    orphan_grace_seconds: int
    # prometheus_client's own variable: where Gunicorn's processes share
    # their metrics; None counts per process.
    metrics_dir: Path | None
    access_token_ttl: int
    refresh_token_ttl: int
    login_max_failures: int
    login_lockout_seconds: int
    client_login_limit: str
    proxy_hops: int
    realtime: RealtimeSettings
    mail: MailSettings
    email_verification_ttl: int
    password_reset_ttl: int
    account_mail_limit: int
    account_mail_window: int
    client_mail_limit: str
    require_verified_email: bool
    queue_connection: str
    redis_queue: str
    openai: OpenAISettings
    jobs: JobSettings

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise ConfigError naming a bad one."""
    env = _Env(os.environ if environ is None else environ)
    environment = env.choice("APP_ENV", ENVIRONMENTS, "development")
    frontend_url = env.text("FRONTEND_URL", "http://localhost:3000").rstrip("/")
    return Settings(
        environment=environment,
        secret_key=_secret_key(env, environment),
        database_url=_database_url(env),
        storage_path=Path(env.text("STORAGE_PATH", "var/storage")).resolve(),
        s3=_s3(env),
        redis_url=_redis_url(env),
        redis_prefix=env.text("REDIS_PREFIX", "imagegen"),
        host=env.text("HOST", "127.0.0.1"),
        port=env.number("PORT", 5000, low=1, high=65535),
        frontend_url=frontend_url,
        cors_origins=env.many("CORS_ORIGINS", (frontend_url,)),
        log_format=env.choice(
            "LOG_FORMAT",
            ("json", "text"),
            "json" if environment == "production" else "text",
        ),
        log_level=env.choice(
            "LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", upper=True
        ),
        upload_max_bytes=env.number("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, low=1024),
        # Above 89,478,485 Pillow's own bomb guard would overrule ours.
        upload_max_pixels=env.number(
            "UPLOAD_MAX_PIXELS", 40_000_000, low=1, high=89_478_485
        ),
        thumbnail_max_side=env.number("THUMBNAIL_MAX_SIDE", 512, low=16, high=4096),
        orphan_grace_seconds=env.number("ORPHAN_GRACE_SECONDS", 3600, low=60),
        metrics_dir=_metrics_dir(env),
        access_token_ttl=env.number("ACCESS_TOKEN_TTL", 900, low=30),
        refresh_token_ttl=env.number("REFRESH_TOKEN_TTL", 30 * 24 * 3600, low=60),
        login_max_failures=env.number("LOGIN_MAX_FAILURES", 5, low=1),
        login_lockout_seconds=env.number("LOGIN_LOCKOUT_SECONDS", 300, low=1),
        client_login_limit=env.text("CLIENT_LOGIN_LIMIT", "100 per minute"),
        proxy_hops=env.number("PROXY_HOPS", 0, low=0, high=5),
        realtime=_realtime(env),
        mail=_mail(env, environment),
        email_verification_ttl=env.number("EMAIL_VERIFICATION_TTL", 86400, low=60),
        password_reset_ttl=env.number("PASSWORD_RESET_TTL", 3600, low=60),
        account_mail_limit=env.number("ACCOUNT_MAIL_LIMIT", 3, low=1),
        account_mail_window=env.number("ACCOUNT_MAIL_WINDOW", 900, low=1),
        client_mail_limit=env.text("CLIENT_MAIL_LIMIT", "20 per hour"),
        require_verified_email=env.flag("REQUIRE_VERIFIED_EMAIL", False),
        queue_connection=_queue_connection(env),
        redis_queue=env.text("RQ_QUEUE", env.text("REDIS_QUEUE", "imagegen")),
        openai=_openai(env),
        jobs=_jobs(env),
    )


def _metrics_dir(env: _Env) -> Path | None:
    raw = env.text("PROMETHEUS_MULTIPROC_DIR", "")
    if not raw:
        return None
    if not Path(raw).is_dir():
        raise ConfigError(f"PROMETHEUS_MULTIPROC_DIR: {raw!r} is not a directory")
    return Path(raw)


def _secret_key(env: _Env, environment: str) -> str:
    raw = env.text("JWT_SECRET_KEY", "") or env.text("APP_KEY", "")
    if raw.startswith("base64:"):
        try:
            raw = base64.b64decode(raw[7:], validate=True).hex()
        except ValueError as exc:
            raise ConfigError("APP_KEY: the base64: value does not decode") from exc
    if not raw and environment == "development":
        return DEV_SECRET
    if len(raw) < 32:
        raise ConfigError(
            "JWT_SECRET_KEY (or APP_KEY): required outside development, 32 characters"
            " or more"
        )
    return raw


def _database_url(env: _Env) -> str:
    url = env.text("DATABASE_URL", "")
    if url:
        return _with_driver(url)
    connection = env.choice("DB_CONNECTION", tuple(DB_DRIVERS), "sqlite")
    driver = DB_DRIVERS[connection]
    if driver == "sqlite":
        path = Path(env.text("DB_DATABASE", "var/imagegen.sqlite")).resolve()
        return f"sqlite:///{path}"
    host = env.text("DB_HOST", "127.0.0.1")
    port = env.number("DB_PORT", DEFAULT_PORTS[driver], low=1, high=65535)
    name = env.required("DB_DATABASE")
    user = quote(env.text("DB_USERNAME", "root"), safe="")
    password = quote(env.text("DB_PASSWORD", ""), safe="")
    credentials = f"{user}:{password}" if password else user
    return f"{driver}://{credentials}@{host}:{port}/{name}"


def _with_driver(url: str) -> str:
    """Pick our drivers for bare mysql:// and postgres:// URLs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError("DATABASE_URL: not a URL (expected scheme://...)")
    known = {"mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}
    known |= {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
    return f"{known.get(scheme, scheme)}://{rest}"


def _s3(env: _Env) -> S3Settings | None:
    bucket = env.text("AWS_BUCKET", "")
    if not bucket:
        return None
    return S3Settings(
        bucket=bucket,
        region=env.text("AWS_DEFAULT_REGION", "") or None,
        endpoint_url=env.text("AWS_ENDPOINT_URL", "") or None,
        access_key_id=env.text("AWS_ACCESS_KEY_ID", "") or None,
        secret_access_key=env.text("AWS_SECRET_ACCESS_KEY", "") or None,
        path_style=env.flag("AWS_USE_PATH_STYLE_ENDPOINT", False),
        url_ttl=env.number("AWS_URL_TTL", 300, low=10, high=7 * 24 * 3600),
    )


def _queue_connection(env: _Env) -> str:
    """Return "redis" or "thread"; Laravel's "sync" runs in-process too."""
    connection = env.choice("QUEUE_CONNECTION", QUEUE_CONNECTIONS, "thread")
    if connection != "redis":
        return "thread"
    if _redis_url(env) is None:
        raise ConfigError(
            "REDIS_URL (or REDIS_HOST): required when QUEUE_CONNECTION=redis"
        )
    return connection


def _openai(env: _Env) -> OpenAISettings:
    return OpenAISettings(
        api_key=env.text("OPENAI_API_KEY", "") or None,
        base_url=env.text("OPENAI_BASE_URL", "") or None,
        image_model=env.text("OPENAI_IMAGE_MODEL", "gpt-image-2"),
        timeout=env.number("OPENAI_TIMEOUT", 120, low=1, high=900),
        max_retries=env.number("OPENAI_MAX_RETRIES", 3, low=0, high=10),
    )


def _jobs(env: _Env) -> JobSettings:
    provider = env.choice("GENERATION_PROVIDER", ("auto", "openai", "local"), "auto")
    if provider == "auto":
        provider = "openai" if env.text("OPENAI_API_KEY", "") else "local"
    return JobSettings(
        provider=provider,
        stale_after=env.number("JOB_STALE_AFTER", 120, low=2, high=3600),
        max_attempts=env.number("JOB_MAX_ATTEMPTS", 3, low=1, high=10),
        timeout=env.number("JOB_TIMEOUT", 900, low=30),
        daily_variations=env.number("VARIATION_DAILY_QUOTA", 100, low=1),
        max_active=env.number("MAX_ACTIVE_JOBS", 3, low=1),
    )


def _redis_url(env: _Env) -> str | None:
    url = env.text("REDIS_URL", "")
    if url:
        return url
    host = env.text("REDIS_HOST", "")
    if not host:
        return None
    port = env.number("REDIS_PORT", 6379, low=1, high=65535)
    password = env.text("REDIS_PASSWORD", "")
    auth = f":{quote(password, safe='')}@" if password and password != "null" else ""
    return f"redis://{auth}{host}:{port}/{env.number('REDIS_DB', 0, low=0)}"


def _mail(env: _Env, environment: str) -> MailSettings:
    mailer = env.choice("MAIL_MAILER", MAILERS, "log")
    if mailer == "log" and environment == "production":
        raise ConfigError(
            "MAIL_MAILER: the log mailer writes account links, tokens included, to"
            " the log; set smtp in production"
        )
    smtp = mailer == "smtp"
    encryption = _mail_encryption(env)
    return MailSettings(
        mailer=mailer,
        host=env.required("MAIL_HOST") if smtp else env.text("MAIL_HOST", ""),
        port=env.number("MAIL_PORT", DEFAULT_MAIL_PORTS[encryption], low=1, high=65535),
        encryption=encryption,
        username=_laravel_optional(env, "MAIL_USERNAME"),
        password=_laravel_optional(env, "MAIL_PASSWORD"),
        from_address=_mail_address(env, required=smtp),
        from_name=_header_text(env, "MAIL_FROM_NAME", "imagegen"),
        timeout=env.number("MAIL_TIMEOUT", 10, low=1, high=300),
        send_attempts=env.number("MAIL_SEND_ATTEMPTS", 3, low=1, high=10),
        retry_delay=env.number("MAIL_RETRY_DELAY", 5, low=0, high=600),
    )


def _mail_encryption(env: _Env) -> str:
    """Read MAIL_ENCRYPTION; Laravel's .env writes null for none."""
    if env.text("MAIL_ENCRYPTION", "").lower() == "null":
        return "none"
    return env.choice("MAIL_ENCRYPTION", MAIL_ENCRYPTIONS, "none")


def _laravel_optional(env: _Env, name: str) -> str | None:
    """Read an optional value that Laravel's .env spells null when unset."""
    value = env.text(name, "")
    return None if value in ("", "null") else value


def _mail_address(env: _Env, *, required: bool) -> str:
    address = env.text("MAIL_FROM_ADDRESS", "")
    if not address and not required:
        return "imagegen@localhost"
    local, at, domain = address.rpartition("@")
    if not (local and at and domain) or any(ch.isspace() for ch in address):
        raise ConfigError(
            f"MAIL_FROM_ADDRESS: expected an address like noreply@example.com,"
            f" got {address!r}"
        )
    return address


def _header_text(env: _Env, name: str, default: str) -> str:
    value = env.text(name, default)
    if any(ch in value for ch in "\r\n"):
        raise ConfigError(f"{name}: must fit on one line")
    return value


def _realtime(env: _Env) -> RealtimeSettings:
    return RealtimeSettings(
        pusher=_pusher(env),
        heartbeat_seconds=env.number("SSE_HEARTBEAT_SECONDS", 15, low=1, high=300),
        max_streams_per_user=env.number("SSE_MAX_STREAMS_PER_USER", 5, low=1),
        stream_max_seconds=env.number("SSE_MAX_SECONDS", 300, low=5, high=86400),
        stream_token_ttl=env.number("SSE_TOKEN_TTL", 60, low=5, high=3600),
        replay_seconds=env.number("SSE_REPLAY_SECONDS", 300, low=1, high=86400),
        replay_size=env.number("SSE_REPLAY_SIZE", 200, low=1, high=10000),
    )


def _pusher(env: _Env) -> PusherSettings | None:
    """Read PUSHER_*; Laravel's BROADCAST_DRIVER=log (or null) turns Pusher off."""
    driver = env.text("BROADCAST_CONNECTION", "") or env.text("BROADCAST_DRIVER", "")
    names = ("PUSHER_APP_ID", "PUSHER_APP_KEY", "PUSHER_APP_SECRET")
    if driver.lower() not in ("", "pusher"):
        return None
    if not driver and not any(env.text(name, "") for name in names):
        return None
    app_id, key, secret = (env.required(name) for name in names)
    if not (app_id.isascii() and app_id.isdigit()):
        raise ConfigError(
            "PUSHER_APP_ID: expected digits (the Pusher SDK refuses others)"
        )
    host = env.text("PUSHER_HOST", "") or None
    scheme = env.choice("PUSHER_SCHEME", ("https", "http"), "https")
    return PusherSettings(
        app_id=app_id,
        key=key,
        secret=secret,
        cluster=env.text("PUSHER_APP_CLUSTER", "mt1"),
        host=host,
        port=_pusher_port(env, scheme) if host else None,
        scheme=scheme,
        timeout=env.number("PUSHER_TIMEOUT", 2, low=1, high=30),
    )


def _pusher_port(env: _Env, scheme: str) -> int:
    default = 443 if scheme == "https" else 80
    return env.number("PUSHER_PORT", default, low=1, high=65535)


class _Env:
    """Typed reads from a mapping; every failure names its variable."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def text(self, name: str, default: str) -> str:
        value = self.values.get(name)
        return default if value is None or value.strip() == "" else value.strip()

    def required(self, name: str) -> str:
        value = self.text(name, "")
        if not value:
            raise ConfigError(f"{name}: required but not set")
        return value

    def number(
        self, name: str, default: int, *, low: int = 0, high: int | None = None
    ) -> int:
        raw = self.text(name, "")
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from exc
        if value < low or (high is not None and value > high):
            bounds = f"{low} to {high}" if high is not None else f"at least {low}"
            raise ConfigError(f"{name}: must be {bounds}, got {value}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name, "").lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")

    def choice(
        self, name: str, options: tuple[str, ...], default: str, *, upper: bool = False
    ) -> str:
        raw = self.text(name, default)
        value = raw.upper() if upper else raw.lower()
        if value not in options:
            raise ConfigError(
                f"{name}: expected one of {', '.join(options)}, got {raw!r}"
            )
        return value

    def many(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        raw = self.text(name, "")
        if not raw:
            return default
        return tuple(item.strip() for item in raw.split(",") if item.strip())
