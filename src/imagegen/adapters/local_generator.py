"""Variations made on this machine with Pillow: reframed, mirrored, recoloured.

Each variation draws its choices from a generator seeded with the job and
its index, so a second run of a job makes the same pictures, and the
variations of one job each get a different look.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from imagegen.application.ports import PreparedImage, Variation, VariationSpec
from imagegen.domain.errors import GenerationRefused

Look = Callable[[Image.Image, random.Random], Image.Image]
# zlib level 3 writes a 1024x1024 picture in a third of the time of the
# default 6, for files about a tenth larger.
PNG_LEVEL = 3


class LocalImageGenerator:
    """The stand-in generator: needs no network and no key."""

    def generate(self, spec: VariationSpec) -> Iterator[Variation]:
        source = _open(spec.source, spec.width, spec.height)
        looks = _looks_for(spec.seed)
        for index in spec.indices:
            rng = random.Random(f"{spec.seed}:{index}")
            framed = _reframe(
                source, spec.width, spec.height, rng, mirror=index % 2 == 1
            )
            picture = looks[index % len(looks)](framed, rng)
            yield Variation(index, _png(picture))


def _open(data: bytes, width: int, height: int) -> Image.Image:
    """Decode the source, no larger than twice the size asked for."""
    try:
        opened = Image.open(io.BytesIO(data), formats=["PNG", "JPEG"])
        opened.draft("RGB", (width * 2, height * 2))
        image = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError) as exc:
        raise GenerationRefused(
            "The source image cannot be read.", code="source_unreadable"
        ) from exc
    image.thumbnail((width * 2, height * 2), Image.Resampling.BILINEAR)
    return image


def _reframe(
    image: Image.Image, width: int, height: int, rng: random.Random, *, mirror: bool
) -> Image.Image:
    """Crop a randomly placed, slightly zoomed window of the target's shape."""
    zoom = rng.uniform(1.0, 1.3)
    scale = max(width / image.width, height / image.height) * zoom
    crop_w, crop_h = round(width / scale), round(height / scale)
    left = rng.randint(0, max(0, image.width - crop_w))
    top = rng.randint(0, max(0, image.height - crop_h))
    box = (left, top, left + crop_w, top + crop_h)
    framed = image.resize((width, height), Image.Resampling.BICUBIC, box=box)
    return ImageOps.mirror(framed) if mirror else framed


def _hue_turn(image: Image.Image, rng: random.Random) -> Image.Image:
    turn = rng.randint(50, 205)
    hue, saturation, value = image.convert("HSV").split()
    hue = hue.point(lambda h: (h + turn) % 256)
    saturation = saturation.point(lambda s: min(255, int(s * 1.25)))
    return Image.merge("HSV", (hue, saturation, value)).convert("RGB")


def _duotone(image: Image.Image, rng: random.Random) -> Image.Image:
    dark = (rng.randint(0, 90), rng.randint(0, 90), rng.randint(0, 90))
    light = (rng.randint(170, 255), rng.randint(170, 255), rng.randint(170, 255))
    grey = ImageOps.autocontrast(ImageOps.grayscale(image))
    return ImageOps.colorize(grey, dark, light)


def _poster(image: Image.Image, rng: random.Random) -> Image.Image:
    flat = ImageOps.posterize(image, rng.choice((2, 3)))
    return ImageEnhance.Color(flat).enhance(rng.uniform(1.3, 1.8))


def _channels(image: Image.Image, rng: random.Random) -> Image.Image:
    red, green, blue = image.split()
    order = rng.choice(((green, blue, red), (blue, red, green)))
    return ImageEnhance.Contrast(Image.merge("RGB", order)).enhance(1.2)


def _solarize(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.solarize(image, threshold=rng.randint(100, 170))


def _grade(image: Image.Image, rng: random.Random) -> Image.Image:
    gains = [rng.uniform(0.6, 1.4) for _ in range(3)]
    bands = [
        band.point(lambda v, g=gain: min(255, int(v * g)))
        for band, gain in zip(image.split(), gains, strict=True)
    ]
    return _vignette(Image.merge("RGB", bands), rng)


def _sketch(image: Image.Image, rng: random.Random) -> Image.Image:
    small = image.reduce(2)
    edges = ImageOps.invert(ImageOps.grayscale(small.filter(ImageFilter.FIND_EDGES)))
    ink = ImageOps.autocontrast(edges, cutoff=2).resize(image.size)
    paper = ImageOps.colorize(ink, (30, 30, 60), (250, 244, 228))
    return Image.blend(paper, image, rng.uniform(0.15, 0.3))


def _painted(image: Image.Image, rng: random.Random) -> Image.Image:
    small = image.reduce(4).filter(ImageFilter.SMOOTH_MORE)
    soft = small.resize(image.size, Image.Resampling.BILINEAR)
    bold = ImageEnhance.Color(ImageOps.posterize(soft, 4)).enhance(1.6)
    return bold.filter(ImageFilter.EDGE_ENHANCE)


def _vignette(image: Image.Image, rng: random.Random) -> Image.Image:
    mask = Image.radial_gradient("L").resize(image.size, Image.Resampling.BILINEAR)
    shade = ImageOps.invert(mask).point(lambda v: int(v * rng.uniform(0.75, 1.0)))
    return Image.composite(image, Image.new("RGB", image.size), shade)


LOOKS: tuple[Look, ...] = (
    _hue_turn,
    _duotone,
    _poster,
    _channels,
    _solarize,
    _grade,
    _sketch,
    _painted,
)


def _looks_for(seed: str) -> list[Look]:
    """Order the looks differently per job, so jobs do not all start alike."""
    looks = list(LOOKS)
    random.Random(seed).shuffle(looks)
    return looks


def _png(image: Image.Image) -> PreparedImage:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=PNG_LEVEL)
    return PreparedImage(buffer.getvalue(), "image/png", image.width, image.height)
