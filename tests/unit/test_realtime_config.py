"""Live-progress settings: Pusher from Laravel's names, the event stream's limits."""

from __future__ import annotations

import pytest

from imagegen.config import ConfigError, load_settings

PUSHER = {
    "PUSHER_APP_ID": "1234",
    "PUSHER_APP_KEY": "app-key",
    "PUSHER_APP_SECRET": "app-secret-value",
}


def test_pusher_is_off_and_the_stream_on_by_default() -> None:
    live = load_settings({}).realtime

    assert live.pusher is None
    assert (live.heartbeat_seconds, live.max_streams_per_user) == (15, 5)
    assert (live.stream_max_seconds, live.stream_token_ttl) == (300, 60)


def test_pusher_keys_turn_pusher_on_at_its_cloud() -> None:
    pusher = load_settings(PUSHER | {"PUSHER_APP_CLUSTER": "eu"}).realtime.pusher

    assert pusher is not None
    assert (pusher.app_id, pusher.key, pusher.cluster) == ("1234", "app-key", "eu")
    assert (pusher.host, pusher.port, pusher.scheme) == (None, None, "https")


def test_a_self_hosted_server_takes_host_port_and_scheme() -> None:
    env = PUSHER | {"PUSHER_HOST": "soketi.internal", "PUSHER_SCHEME": "http"}

    pusher = load_settings(env).realtime.pusher

    assert pusher is not None
    assert (pusher.host, pusher.port, pusher.scheme) == ("soketi.internal", 80, "http")


def test_laravels_log_broadcaster_keeps_pusher_off() -> None:
    settings = load_settings(PUSHER | {"BROADCAST_DRIVER": "log"})

    assert settings.realtime.pusher is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PUSHER_APP_ID": "1234", "PUSHER_APP_KEY": "k"}, "PUSHER_APP_SECRET"),
        ({"BROADCAST_DRIVER": "pusher"}, "PUSHER_APP_ID"),
        (PUSHER | {"PUSHER_APP_ID": "app-id"}, "PUSHER_APP_ID"),
        (PUSHER | {"PUSHER_SCHEME": "ws"}, "PUSHER_SCHEME"),
        ({"SSE_MAX_STREAMS_PER_USER": "0"}, "SSE_MAX_STREAMS_PER_USER"),
        ({"SSE_HEARTBEAT_SECONDS": "often"}, "SSE_HEARTBEAT_SECONDS"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_it(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_the_pusher_secret_stays_out_of_the_settings_repr() -> None:
    settings = load_settings(PUSHER)

    assert "app-secret-value" not in repr(settings)
