"""PillowImageProcessor against real Pillow and pictures built here."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from imagegen.adapters.pillow_images import PillowImageProcessor
from imagegen.domain.errors import ImageTooLarge, InvalidImage, UnsupportedImage

FORTY_MEGAPIXELS = 40_000_000
RED = (255, 0, 0)
BLUE = (0, 0, 255)


@pytest.fixture
def processor() -> PillowImageProcessor:
    return PillowImageProcessor(max_pixels=FORTY_MEGAPIXELS)


def encode(picture: Image.Image, kind: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=kind, **options)
    return buffer.getvalue()


def noise(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """Return a picture that compresses badly, so truncation hits pixel data."""
    return Image.effect_noise(size, 64).convert("RGB")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(body, zlib.crc32(kind))
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_claiming(width: int, height: int) -> bytes:
    """Return a well-formed PNG whose pixel data is far too short to decode."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """Return a JPEG claiming a size, cut right after its scan header.

    Pillow reads the header as usual, but decoding would run out of data.
    """
    data = bytearray(encode(noise((16, 16)), "JPEG"))
    frame = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, frame + 5, height, width)
    scan = data.index(b"\xff\xda")
    (length,) = struct.unpack_from(">H", data, scan + 2)
    return bytes(data[: scan + 2 + length])


def png_chunk_types(data: bytes) -> list[bytes]:
    types, position = [], 8
    while position < len(data):
        (length,) = struct.unpack_from(">I", data, position)
        types.append(data[position + 4 : position + 8])
        position += 12 + length
    return types


def reopen(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def exif_with_gps_and_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Phone Maker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    return exif


def red_left_blue_right(size: tuple[int, int] = (80, 40)) -> Image.Image:
    picture = Image.new("RGB", size, BLUE)
    picture.paste(RED, (0, 0, size[0] // 2, size[1]))
    return picture


def is_close(pixel: object, colour: tuple[int, int, int]) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=False))


# Refused kinds of file


def test_empty_data_is_refused_as_invalid(processor: PillowImageProcessor) -> None:
    with pytest.raises(InvalidImage):
        processor.prepare_upload(b"")


def test_random_bytes_are_refused_as_unsupported(
    processor: PillowImageProcessor,
) -> None:
    data = random.Random(7).randbytes(4096)

    with pytest.raises(UnsupportedImage):
        processor.prepare_upload(data)


def test_bare_png_signature_is_refused_as_invalid(
    processor: PillowImageProcessor,
) -> None:
    with pytest.raises(InvalidImage):
        processor.prepare_upload(b"\x89PNG\r\n\x1a\n")


def test_truncated_png_is_refused_as_invalid(processor: PillowImageProcessor) -> None:
    data = encode(noise(), "PNG")

    with pytest.raises(InvalidImage):
        processor.prepare_upload(data[: len(data) // 2])


def test_truncated_jpeg_is_refused_as_invalid(
    processor: PillowImageProcessor,
) -> None:
    data = encode(noise(), "JPEG")

    with pytest.raises(InvalidImage):
        processor.prepare_upload(data[: len(data) // 2])


def test_jpeg_missing_its_end_marker_is_refused_as_invalid(
    processor: PillowImageProcessor,
) -> None:
    data = encode(noise(), "JPEG")

    with pytest.raises(InvalidImage):
        processor.prepare_upload(data[:-2])


def test_html_behind_a_png_signature_is_refused_as_invalid(
    processor: PillowImageProcessor,
) -> None:
    data = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"

    with pytest.raises(InvalidImage):
        processor.prepare_upload(data)


@pytest.mark.parametrize("kind", ["GIF", "WEBP", "BMP", "TIFF"])
def test_other_raster_formats_are_refused_as_unsupported(
    processor: PillowImageProcessor, kind: str
) -> None:
    data = encode(Image.new("RGB", (8, 8), RED), kind)

    with pytest.raises(UnsupportedImage):
        processor.prepare_upload(data)


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
        b"<!doctype html><html><body>hello</body></html>",
    ],
    ids=["svg", "html"],
)
def test_text_formats_are_refused_as_unsupported(
    processor: PillowImageProcessor, data: bytes
) -> None:
    with pytest.raises(UnsupportedImage):
        processor.prepare_upload(data)


def test_gif_renamed_png_is_refused_as_unsupported(
    processor: PillowImageProcessor, tmp_path: Path
) -> None:
    disguised = tmp_path / "holiday.png"
    Image.new("RGB", (8, 8), RED).save(disguised, format="GIF")

    with pytest.raises(UnsupportedImage):
        processor.prepare_upload(disguised.read_bytes())


# Pixel limits


@pytest.mark.parametrize("side", [7_000, 20_000], ids=["49MP", "400MP"])
def test_png_bomb_is_refused_from_its_header_without_decoding(
    processor: PillowImageProcessor, side: int
) -> None:
    # The pixel data could not be decoded (it would raise InvalidImage), so
    # ImageTooLarge shows the header alone decided.
    data = png_claiming(side, side)

    with pytest.raises(ImageTooLarge):
        processor.prepare_upload(data)


def test_png_between_our_limit_and_pillows_is_refused_from_its_header(
    processor: PillowImageProcessor,
) -> None:
    # 100 megapixels: over Pillow's warning threshold, under its hard error.
    data = png_claiming(10_000, 10_000)

    with pytest.raises(ImageTooLarge):
        processor.prepare_upload(data)


def test_png_over_pillows_warning_threshold_is_refused_when_warnings_are_ignored(
    processor: PillowImageProcessor,
) -> None:
    # In production Pillow only warns here; our own limit must still hold.
    data = png_claiming(10_000, 10_000)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with pytest.raises(ImageTooLarge):
            processor.prepare_upload(data)


@pytest.mark.parametrize("claiming", [png_claiming, jpeg_claiming])
def test_header_claiming_more_pixels_than_the_data_holds_is_invalid(
    claiming: Callable[[int, int], bytes],
) -> None:
    # The premise of the bomb tests: these files cannot be decoded, so only a
    # check of the header can answer ImageTooLarge for them.
    processor = PillowImageProcessor(max_pixels=FORTY_MEGAPIXELS)

    with pytest.raises(InvalidImage):
        processor.prepare_upload(claiming(2_000, 2_000))


@pytest.mark.parametrize("side", [7_000, 60_000], ids=["49MP", "3600MP"])
def test_jpeg_bomb_is_refused_from_its_header_without_decoding(
    processor: PillowImageProcessor, side: int
) -> None:
    data = jpeg_claiming(side, side)

    with pytest.raises(ImageTooLarge):
        processor.prepare_upload(data)


def test_picture_one_row_over_the_configured_limit_is_refused() -> None:
    processor = PillowImageProcessor(max_pixels=100)
    data = encode(Image.new("RGB", (10, 11), RED), "PNG")

    with pytest.raises(ImageTooLarge):
        processor.prepare_upload(data)


def test_picture_at_the_configured_limit_is_accepted() -> None:
    processor = PillowImageProcessor(max_pixels=100)
    data = encode(Image.new("RGB", (10, 10), RED), "PNG")

    prepared = processor.prepare_upload(data)

    assert (prepared.width, prepared.height) == (10, 10)


def test_limit_above_pillows_own_bomb_guard_is_rejected() -> None:
    assert Image.MAX_IMAGE_PIXELS is not None

    with pytest.raises(ValueError, match="max_pixels"):
        PillowImageProcessor(max_pixels=Image.MAX_IMAGE_PIXELS + 1)


def test_truncated_image_loading_switch_makes_every_image_refused(
    processor: PillowImageProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = encode(noise(), "JPEG")

    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        processor.prepare_upload(data[: len(data) // 2])


# Metadata stripping and orientation


def test_jpeg_loses_exif_gps_xmp_and_comment(processor: PillowImageProcessor) -> None:
    data = encode(
        red_left_blue_right(),
        "JPEG",
        exif=exif_with_gps_and_orientation(1),
        comment=b"taken at 12 Rue Example",
        xmp=b"<x:xmpmeta>secret place</x:xmpmeta>",
    )

    prepared = processor.prepare_upload(data)

    cleaned = reopen(prepared.data)
    assert not cleaned.getexif()
    assert {"exif", "comment", "xmp"}.isdisjoint(cleaned.info)
    for secret in (b"Exif\x00\x00", b"Phone Maker", b"Rue Example", b"secret place"):
        assert secret not in prepared.data


def test_jpeg_is_turned_upright_from_its_exif_orientation(
    processor: PillowImageProcessor,
) -> None:
    # Orientation 6: the camera was turned a quarter clockwise, so the stored
    # left edge is the top of the scene.
    data = encode(
        red_left_blue_right((80, 40)),
        "JPEG",
        exif=exif_with_gps_and_orientation(6),
        comment=b"a comment",
    )

    prepared = processor.prepare_upload(data)

    upright = reopen(prepared.data).convert("RGB")
    assert (prepared.width, prepared.height) == (40, 80) == upright.size
    assert is_close(upright.getpixel((20, 10)), RED)
    assert is_close(upright.getpixel((20, 70)), BLUE)
    assert not upright.getexif()


def test_png_loses_text_chunks_and_exif(processor: PillowImageProcessor) -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Jane Doe")
    text.add_text("Comment", "home address", zip=True)
    text.add_itxt("Description", "secret place", lang="en", tkey="Beschreibung")
    data = encode(
        Image.new("RGB", (8, 8), RED),
        "PNG",
        pnginfo=text,
        exif=exif_with_gps_and_orientation(1),
    )
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf"} <= set(png_chunk_types(data))

    prepared = processor.prepare_upload(data)

    chunks = set(png_chunk_types(prepared.data))
    assert chunks.isdisjoint({b"tEXt", b"zTXt", b"iTXt", b"eXIf"})
    assert b"Jane Doe" not in prepared.data


def test_bytes_after_the_png_end_are_dropped(processor: PillowImageProcessor) -> None:
    data = encode(Image.new("RGB", (8, 8), RED), "PNG") + b"<?php evil(); ?>"

    prepared = processor.prepare_upload(data)

    assert prepared.data.endswith(png_chunk(b"IEND", b""))
    assert b"evil" not in prepared.data


def test_bytes_after_the_jpeg_end_are_dropped(processor: PillowImageProcessor) -> None:
    data = encode(Image.new("RGB", (8, 8), RED), "JPEG") + b"PK\x03\x04 zip inside"

    prepared = processor.prepare_upload(data)

    assert prepared.data.endswith(b"\xff\xd9")
    assert b"zip inside" not in prepared.data


def test_matching_icc_profile_is_kept(processor: PillowImageProcessor) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(Image.new("RGB", (8, 8), RED), "PNG", icc_profile=srgb)

    prepared = processor.prepare_upload(data)

    assert reopen(prepared.data).info.get("icc_profile") == srgb


def test_cmyk_jpeg_becomes_rgb_without_its_cmyk_profile(
    processor: PillowImageProcessor,
) -> None:
    cmyk_profile = bytes(16) + b"CMYK" + bytes(108)
    picture = Image.new("CMYK", (8, 8), (0, 255, 255, 0))
    data = encode(picture, "JPEG", icc_profile=cmyk_profile)

    prepared = processor.prepare_upload(data)

    cleaned = reopen(prepared.data)
    assert (cleaned.format, cleaned.mode) == ("JPEG", "RGB")
    assert "icc_profile" not in cleaned.info
    assert is_close(cleaned.getpixel((4, 4)), RED)


# Output type


def test_png_with_alpha_stays_png_with_alpha(processor: PillowImageProcessor) -> None:
    data = encode(Image.new("RGBA", (8, 8), (255, 0, 0, 128)), "PNG")

    prepared = processor.prepare_upload(data)

    cleaned = reopen(prepared.data)
    assert prepared.content_type == "image/png"
    assert (cleaned.format, cleaned.mode) == ("PNG", "RGBA")
    assert cleaned.getpixel((0, 0)) == (255, 0, 0, 128)


def test_palette_png_keeps_its_palette_and_transparency(
    processor: PillowImageProcessor,
) -> None:
    picture = Image.new("P", (8, 8), 1)
    picture.putpalette([0, 0, 0, 255, 0, 0])
    data = encode(picture, "PNG", transparency=0)

    prepared = processor.prepare_upload(data)

    cleaned = reopen(prepared.data)
    assert (cleaned.mode, cleaned.info.get("transparency")) == ("P", 0)


def test_jpeg_stays_jpeg(processor: PillowImageProcessor) -> None:
    data = encode(Image.new("L", (12, 6), 128), "JPEG")

    prepared = processor.prepare_upload(data)

    cleaned = reopen(prepared.data)
    assert prepared.content_type == "image/jpeg"
    assert (cleaned.format, cleaned.mode, cleaned.size) == ("JPEG", "RGB", (12, 6))
    assert (prepared.width, prepared.height) == (12, 6)


# Thumbnails


@pytest.mark.parametrize(
    ("kind", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")]
)
def test_thumbnail_fits_the_longer_side_and_keeps_the_type(
    processor: PillowImageProcessor, kind: str, content_type: str
) -> None:
    data = encode(noise((1200, 600)), kind)

    thumbnail = processor.thumbnail(data, 512)

    shrunk = reopen(thumbnail.data)
    assert thumbnail.content_type == content_type
    assert (thumbnail.width, thumbnail.height) == (512, 256) == shrunk.size
    assert shrunk.format == kind


def test_thumbnail_of_a_tall_picture_fits_its_height(
    processor: PillowImageProcessor,
) -> None:
    data = encode(noise((300, 900)), "JPEG")

    thumbnail = processor.thumbnail(data, 512)

    assert max(thumbnail.width, thumbnail.height) == 512 == thumbnail.height


def test_thumbnail_never_enlarges(processor: PillowImageProcessor) -> None:
    data = encode(Image.new("RGB", (100, 50), RED), "PNG")

    thumbnail = processor.thumbnail(data, 512)

    assert (thumbnail.width, thumbnail.height) == (100, 50)


def test_thumbnail_of_a_transparent_palette_png_keeps_its_transparency(
    processor: PillowImageProcessor,
) -> None:
    picture = Image.new("P", (1024, 1024), 0)
    picture.putpalette([0, 0, 0, 255, 0, 0])
    picture.paste(1, (0, 0, 512, 1024))
    data = encode(picture, "PNG", transparency=0)

    thumbnail = processor.thumbnail(data, 512)

    shrunk = reopen(thumbnail.data).convert("RGBA")
    assert shrunk.getpixel((10, 10)) == (255, 0, 0, 255)
    assert shrunk.getpixel((500, 10))[3] == 0  # type: ignore[index]


def test_thumbnail_refuses_what_an_upload_would(
    processor: PillowImageProcessor,
) -> None:
    data = encode(Image.new("RGB", (8, 8), RED), "GIF")

    with pytest.raises(UnsupportedImage):
        processor.thumbnail(data, 512)


def test_multi_picture_jpeg_keeps_only_its_first_picture(
    processor: PillowImageProcessor,
) -> None:
    first, second = Image.new("RGB", (20, 10), RED), Image.new("RGB", (20, 10), BLUE)
    data = encode(first, "MPO", save_all=True, append_images=[second])

    prepared = processor.prepare_upload(data)

    cleaned = reopen(prepared.data)
    assert (cleaned.format, prepared.content_type) == ("JPEG", "image/jpeg")
    assert is_close(cleaned.getpixel((5, 5)), RED)


def test_animated_png_keeps_only_its_first_frame(
    processor: PillowImageProcessor,
) -> None:
    first, second = Image.new("RGB", (20, 10), RED), Image.new("RGB", (20, 10), BLUE)
    data = encode(first, "PNG", save_all=True, append_images=[second])

    prepared = processor.prepare_upload(data)

    cleaned = reopen(prepared.data)
    assert getattr(cleaned, "n_frames", 1) == 1
    assert b"acTL" not in prepared.data
    assert cleaned.getpixel((5, 5)) == RED
