"""The Pillow generator on real pictures."""

from __future__ import annotations

import io
import itertools

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from imagegen.adapters.local_generator import LocalImageGenerator
from imagegen.application.ports import VariationSpec
from imagegen.domain.errors import GenerationRefused
from imagegen.domain.jobs import SIZES, size_of


def scene(fmt: str = "JPEG", size: tuple[int, int] = (900, 600)) -> bytes:
    """A picture with shapes and colours, so changes to it show."""
    image = Image.new("RGB", size, (70, 130, 190))
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 80, 420, 400), fill=(230, 180, 40))
    draw.rectangle((500, 200, 820, 560), fill=(180, 30, 60))
    draw.line((0, 590, 900, 10), fill=(20, 20, 20), width=12)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def spec(source: bytes, size: str = "512x512", n: int = 4) -> VariationSpec:
    width, height = size_of(size)
    return VariationSpec(source, width, height, tuple(range(n)), seed="job-1")


def decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data), formats=["PNG"]).convert("RGB")


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0 to 255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


@pytest.mark.parametrize("size", SIZES)
def test_each_variation_is_a_png_of_the_size_asked(size: str) -> None:
    made = list(LocalImageGenerator().generate(spec(scene(), size, n=2)))

    assert [v.index for v in made] == [0, 1]
    for variation in made:
        picture = decode(variation.image.data)
        assert picture.size == size_of(size)
        assert variation.image.content_type == "image/png"
        assert (variation.image.width, variation.image.height) == size_of(size)


def test_the_variations_of_one_job_look_different_from_each_other() -> None:
    made = list(LocalImageGenerator().generate(spec(scene(), n=8)))

    pictures = [decode(v.image.data) for v in made]
    for a, b in itertools.combinations(pictures, 2):
        assert difference(a, b) > 8


def test_a_second_run_makes_the_same_pictures() -> None:
    generator = LocalImageGenerator()

    first = [v.image.data for v in generator.generate(spec(scene(), n=3))]
    again = [v.image.data for v in generator.generate(spec(scene(), n=3))]

    assert first == again


def test_only_the_indexes_asked_for_are_made() -> None:
    source = scene("PNG")
    whole = list(LocalImageGenerator().generate(spec(source, n=4)))
    width, height = size_of("512x512")

    part = list(
        LocalImageGenerator().generate(
            VariationSpec(source, width, height, (1, 3), seed="job-1")
        )
    )

    assert [v.index for v in part] == [1, 3]
    assert [v.image.data for v in part] == [whole[1].image.data, whole[3].image.data]


def test_a_source_that_is_not_a_picture_is_refused() -> None:
    with pytest.raises(GenerationRefused) as raised:
        list(LocalImageGenerator().generate(spec(b"not a picture")))

    assert raised.value.code == "source_unreadable"
