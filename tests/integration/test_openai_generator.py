"""The OpenAI generator, through the official SDK, against a loopback stand-in."""

from __future__ import annotations

import io
import logging

import pytest
from PIL import Image

from imagegen.adapters.openai_generator import OpenAIImageGenerator
from imagegen.application.ports import Variation, VariationSpec
from imagegen.domain.errors import (
    GenerationError,
    GenerationRefused,
    ProviderUnavailable,
)
from tests.support.openai_server import (
    BAD_KEY,
    MODERATION,
    QUOTA,
    SERVER_ERROR,
    THROTTLED,
    OpenAIStandIn,
    Reply,
)

KEY = "sk-test-0123456789abcdefSECRET"


def source() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1600), (90, 160, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def generator(server: OpenAIStandIn, key: str | None = KEY) -> OpenAIImageGenerator:
    return OpenAIImageGenerator(
        key,
        model="gpt-image-2",
        base_url=server.base_url,
        timeout=10,
        max_retries=2,
        retry_base=0.01,
    )


def make(gen: OpenAIImageGenerator, size: tuple[int, int], n: int) -> list[Variation]:
    spec = VariationSpec(source(), size[0], size[1], tuple(range(n)), seed="job")
    return list(gen.generate(spec))


def test_variations_come_back_at_the_size_asked(openai_server: OpenAIStandIn) -> None:
    made = make(generator(openai_server), (1536, 1024), 3)

    [call] = openai_server.requests
    assert call.fields["model"] == "gpt-image-2"
    assert (call.fields["n"], call.fields["size"]) == ("3", "1536x1024")
    assert call.image_type == "image/png"
    assert max(Image.open(io.BytesIO(call.image)).size) <= 1536
    assert call.authorization == f"Bearer {KEY}"
    assert [v.index for v in made] == [0, 1, 2]
    assert all(v.image.width == 1536 and v.image.height == 1024 for v in made)


def test_a_small_size_is_asked_at_1024_and_scaled_down(
    openai_server: OpenAIStandIn,
) -> None:
    made = make(generator(openai_server), (256, 256), 1)

    assert openai_server.requests[0].fields["size"] == "1024x1024"
    assert Image.open(io.BytesIO(made[0].image.data)).size == (256, 256)


def test_a_server_error_then_success_is_retried(openai_server: OpenAIStandIn) -> None:
    openai_server.script(SERVER_ERROR, THROTTLED)

    made = make(generator(openai_server), (1024, 1024), 2)

    assert len(openai_server.requests) == 3
    assert len(made) == 2


def test_errors_that_outlast_the_retries_fail_the_job(
    openai_server: OpenAIStandIn,
) -> None:
    openai_server.script(SERVER_ERROR, SERVER_ERROR, SERVER_ERROR)

    with pytest.raises(GenerationError) as raised:
        make(generator(openai_server), (1024, 1024), 1)

    assert raised.value.code == "provider_error"
    assert len(openai_server.requests) == 3


@pytest.mark.parametrize(
    "reply",
    [
        QUOTA,
        BAD_KEY,
        Reply(400, "billing_hard_limit_reached", "Billing hard limit reached."),
        Reply(404, "model_not_found", "The model gpt-image-2 does not exist."),
        Reply(403, None, "Your organization must be verified."),
    ],
)
def test_quota_billing_key_and_model_errors_ask_for_a_stand_in(
    openai_server: OpenAIStandIn, reply: Reply
) -> None:
    openai_server.script(reply)

    with pytest.raises(ProviderUnavailable) as raised:
        make(generator(openai_server), (1024, 1024), 1)

    assert len(openai_server.requests) == 1
    assert "sk-" not in raised.value.detail


def test_a_moderation_refusal_fails_at_once_with_a_clear_code(
    openai_server: OpenAIStandIn,
) -> None:
    openai_server.script(MODERATION)

    with pytest.raises(GenerationRefused) as raised:
        make(generator(openai_server), (1024, 1024), 1)

    assert raised.value.code == "content_refused"
    assert "safety system" in raised.value.detail
    assert len(openai_server.requests) == 1


def test_without_a_key_no_call_is_made(openai_server: OpenAIStandIn) -> None:
    with pytest.raises(ProviderUnavailable) as raised:
        make(generator(openai_server, key=None), (1024, 1024), 1)

    assert raised.value.code == "openai_key_missing"
    assert openai_server.requests == []


def test_the_key_never_reaches_a_log_line_or_an_error(
    openai_server: OpenAIStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    leaky = Reply(400, "invalid_value", f"Bad value near {KEY}.")
    openai_server.script(SERVER_ERROR, BAD_KEY)
    with pytest.raises(ProviderUnavailable) as unavailable:
        make(generator(openai_server), (1024, 1024), 1)
    openai_server.script(leaky)

    with pytest.raises(GenerationRefused) as refused:
        make(generator(openai_server), (1024, 1024), 1)

    assert KEY not in unavailable.value.detail + refused.value.detail
    assert KEY not in caplog.text
