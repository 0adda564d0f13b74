"""Check, clean and shrink uploaded pictures with Pillow.

Only PNG and JPEG pass, judged from the bytes alone. Every accepted picture
is fully decoded, turned upright from its EXIF orientation and encoded anew,
so EXIF (GPS included), XMP, PNG text chunks, JPEG comments and whatever
followed the end of the image are left behind. The ICC profile is kept when
it still describes the pixels: it is colour data, not personal data, and
dropping it would shift the colours of wide-gamut photos.

Not yet: a JPEG whose scan data stops short but which still ends with its
end-of-image marker is accepted, its missing part grey. libjpeg reports that
only as a warning, and Pillow offers no way to see it.
"""

from __future__ import annotations

import io
import logging
import struct

from PIL import Image, ImageFile, ImageOps

from imagegen.application.ports import PreparedImage
from imagegen.domain.errors import ImageTooLarge, InvalidImage, UnsupportedImage

logger = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
JPEG_QUALITY = 90

# Modes Pillow writes to PNG as they are; anything else becomes RGB(A).
_PNG_MODES = {"1", "L", "LA", "I;16", "P", "RGB", "RGBA"}
_GRAY_MODES = {"1", "L", "LA", "I;16"}

# What Pillow raises on bytes it cannot decode.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


class PillowImageProcessor:
    """Accept PNG and JPEG uploads within a pixel limit, re-encoded clean."""

    def __init__(self, max_pixels: int) -> None:
        pillow_limit = Image.MAX_IMAGE_PIXELS
        if max_pixels < 1:
            raise ValueError("max_pixels must be positive")
        if pillow_limit is not None and max_pixels > pillow_limit:
            raise ValueError(f"max_pixels may not exceed Pillow's {pillow_limit}")
        self._max_pixels = max_pixels

    def prepare_upload(self, data: bytes) -> PreparedImage:
        """Check that data is a PNG or JPEG within limits and strip its metadata."""
        picture, kind = self._decode(data)
        return _encode(picture, kind)

    def thumbnail(self, data: bytes, max_side: int) -> PreparedImage:
        """Return a copy no longer than max_side on its longer side."""
        if max_side < 1:
            raise ValueError("max_side must be positive")
        picture, kind = self._decode(data)

        picture = _resizable(picture)
        picture.thumbnail((max_side, max_side))
        return _encode(picture, kind)

    def _decode(self, data: bytes) -> tuple[Image.Image, str]:
        kind = _sniff(data)
        _refuse_truncated_loading()

        picture = _open(data, kind)
        self._check_pixels(picture.size)
        _load(picture, kind)
        return ImageOps.exif_transpose(picture), kind

    def _check_pixels(self, size: tuple[int, int]) -> None:
        width, height = size
        if width * height > self._max_pixels:
            raise ImageTooLarge(
                f"The picture is {width}x{height} pixels; at most "
                f"{self._max_pixels} pixels are accepted."
            )


def _sniff(data: bytes) -> str:
    """Return "PNG" or "JPEG" from the leading bytes, or raise."""
    if not data:
        raise InvalidImage("The file is empty.")
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(JPEG_SIGNATURE):
        return "JPEG"
    if PNG_SIGNATURE.startswith(data) or JPEG_SIGNATURE.startswith(data):
        raise InvalidImage("The file ends before its image begins.")
    raise UnsupportedImage("Only PNG and JPEG pictures are accepted.")


def _refuse_truncated_loading() -> None:
    # Pillow pads truncated files silently when this process-wide switch is
    # on; our only truncation check would then be gone, so accept nothing.
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        logger.error("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set; refusing images")
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")


def _open(data: bytes, kind: str) -> ImageFile.ImageFile:
    """Read the header only; no pixel is decoded yet."""
    try:
        return Image.open(io.BytesIO(data), formats=[kind])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge("The picture has too many pixels.") from exc
    except _DECODE_ERRORS as exc:
        logger.debug("%s header refused: %s", kind, exc)
        raise InvalidImage(f"The {kind} file is broken.") from exc


def _load(picture: ImageFile.ImageFile, kind: str) -> None:
    try:
        picture.load()
    except _DECODE_ERRORS as exc:
        logger.debug("%s data refused: %s", kind, exc)
        raise InvalidImage(f"The {kind} file is broken or truncated.") from exc


def _resizable(picture: Image.Image) -> Image.Image:
    """Leave palette and bilevel modes, which Pillow only resizes coarsely."""
    if picture.mode == "1":
        return picture.convert("L")
    if picture.mode == "P":
        return picture.convert("RGBA" if _has_alpha(picture) else "RGB")
    return picture


def _encode(picture: Image.Image, kind: str) -> PreparedImage:
    picture = _output_mode(picture, kind)
    options = _save_options(picture, kind)
    picture.info = {}  # Pillow writes some info entries back unless cleared.

    buffer = io.BytesIO()
    picture.save(buffer, format=kind, **options)
    width, height = picture.size
    return PreparedImage(buffer.getvalue(), CONTENT_TYPES[kind], width, height)


def _output_mode(picture: Image.Image, kind: str) -> Image.Image:
    if kind == "JPEG":
        return picture if picture.mode == "RGB" else picture.convert("RGB")
    if picture.mode in _PNG_MODES:
        return picture
    return picture.convert("RGBA" if _has_alpha(picture) else "RGB")


def _save_options(picture: Image.Image, kind: str) -> dict[str, object]:
    options: dict[str, object] = {}
    if kind == "JPEG":
        options["quality"] = JPEG_QUALITY
    elif "transparency" in picture.info:
        options["transparency"] = picture.info["transparency"]

    icc_profile = _matching_icc_profile(picture)
    if icc_profile is not None:
        options["icc_profile"] = icc_profile
    return options


def _matching_icc_profile(picture: Image.Image) -> bytes | None:
    """Return the ICC profile if it describes the picture's colour space."""
    profile = picture.info.get("icc_profile")
    if not isinstance(profile, bytes) or len(profile) < 128:
        return None

    # The profile header names its colour space at bytes 16-19; a CMYK or
    # grey profile left on converted RGB pixels would distort every colour.
    wanted = b"GRAY" if picture.mode in _GRAY_MODES else b"RGB "
    return profile if profile[16:20] == wanted else None


def _has_alpha(picture: Image.Image) -> bool:
    return "A" in picture.getbands() or "transparency" in picture.info
