"""Bytes in, bytes out: decode one image defensively, orient it, resize it to the target, encode it.

Nothing here touches AWS or the queue, so all of it is unit-tested on images made in memory. The
function is pure and thread-safe (no global state is read or changed), which is what lets the
worker run it on threads: Pillow releases the GIL while it decodes, resizes and encodes.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from contract.values import ResizeMode
from worker.rejection import FileRejected, Rejection

SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
"""What `Image.open` may identify: every other decoder (TIFF, PSD, EPS via Ghostscript...) is
attack surface the pipeline does not need. Camera JPEGs with an MPF block open as MPO through the
JPEG plugin, so they are covered."""

DRAFT_MIN_RATIO = 1.6
"""The reduced DCT decode must be at least this much larger than the area the final filter
samples, so the LANCZOS pass still has pixels to filter. Measured against a LANCZOS resize of the
full decode on photo-like JPEGs, the worst case (a size just above a DCT scale step) scores 41.8 dB
at 1.25, 44.2 at 1.4 and 46.9 at 1.6, and a 12 MP photo still decodes at 1/8 (375 rows for 224).
The unit tests check the worst case; bench/worker_resize.py checks a whole corpus."""

REDUCING_GAP = 3.0
"""While the image is still more than this many times the target, Pillow first box-reduces it
by an integer factor, then applies the final filter. From 3.0 up its documentation calls the
result indistinguishable from a plain resize; it matters for large PNGs, which have no reduced
decode (a JPEG after `draft` is already within about 3.3 times the target)."""

FINAL_FILTER = Image.Resampling.LANCZOS

ALPHA_BACKGROUND = (255, 255, 255)
"""Transparent pixels become white: the output is RGB (JPEG has no alpha)."""
PAD_COLOUR = (0, 0, 0)
"""The letterbox bars of `pad` mode."""

PNG_EXTENSION = ".png"

_ORIENTATION_TAG = 0x0112
_TRANSPOSING_ORIENTATIONS = frozenset({5, 6, 7, 8})
"""EXIF orientations that rotate by 90 degrees: the stored width is the displayed height."""


class OutputFormat(StrEnum):
    JPEG = "JPEG"
    PNG = "PNG"

    @property
    def content_type(self) -> str:
        return "image/png" if self is OutputFormat.PNG else "image/jpeg"


def output_format_for(key: str) -> OutputFormat:
    """The contract: `.png` keys (any case) are written as PNG, everything else as JPEG."""
    return OutputFormat.PNG if key.lower().endswith(PNG_EXTENSION) else OutputFormat.JPEG


@dataclass(frozen=True)
class ResizeSpec:
    """What every output looks like: exactly `size`, RGB, in the format its key asks for."""

    size: tuple[int, int]
    mode: ResizeMode
    jpeg_quality: int


@dataclass(frozen=True)
class Processed:
    """An encoded output and the facts about how it was made (they go into the file's log)."""

    data: bytes
    output_format: OutputFormat
    facts: dict[str, Any]


def process_image(data: bytes, output_format: OutputFormat, spec: ResizeSpec) -> Processed:
    """Decode `data`, apply its EXIF orientation, resize it to `spec` and encode it.

    Raises FileRejected for input that can never succeed; any other exception is a fault of this
    machine (memory, a bug) and is left to the caller to treat as retryable.
    """
    image = _open(data)
    source_format = image.format or "unknown"
    source_mode = image.mode
    stored_size = image.size
    orientation = _orientation(image)
    oriented_size = _oriented(stored_size, orientation)
    geometry = _Geometry.plan(oriented_size, spec)
    draft_scale = _draft(image, geometry.sampled_size, orientation)
    _load(image)
    oriented = ImageOps.exif_transpose(image)
    rgb = _to_rgb(oriented)
    resized = geometry.apply(rgb, 1 / draft_scale)
    encoded = _encode(resized, output_format, spec.jpeg_quality)
    facts: dict[str, Any] = {
        "source_format": source_format,
        "source_mode": source_mode,
        "source_size": list(oriented_size),
        "exif_orientation": orientation,
        "dct_scale": f"1/{draft_scale}",
        "output_size": list(resized.size),
        "output_format": output_format.value,
        "output_bytes": len(encoded),
    }
    return Processed(data=encoded, output_format=output_format, facts=facts)


def _open(data: bytes) -> Image.Image:
    if not data:
        raise FileRejected(Rejection.EMPTY, "the object is empty (0 bytes)")
    try:
        image = Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS)
    except UnidentifiedImageError:
        allowed = ", ".join(SUPPORTED_FORMATS)
        raise FileRejected(
            Rejection.NOT_AN_IMAGE, f"not an image in a supported format ({allowed})"
        ) from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        # The warning arrives as an exception where the process made it an error (the worker's
        # entry point does); the check below enforces the same limit where it did not.
        raise FileRejected(Rejection.DECOMPRESSION_BOMB, str(error)) from None
    except (OSError, SyntaxError, ValueError) as error:
        raise FileRejected(Rejection.CORRUPT, f"unreadable header: {error}") from None
    limit = Image.MAX_IMAGE_PIXELS
    width, height = image.size
    if limit is not None and width * height > limit:
        # Pillow only warns between its limit and twice it; a pixel bomb is refused at the limit.
        raise FileRejected(
            Rejection.DECOMPRESSION_BOMB,
            f"{width}x{height} is {width * height} pixels, over the limit of {limit}",
        )
    return image


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except OSError as error:
        # ImageFile.LOAD_TRUNCATED_IMAGES stays False, so a short file fails here.
        if "truncated" in str(error):
            raise FileRejected(Rejection.TRUNCATED, str(error)) from None
        raise FileRejected(Rejection.CORRUPT, str(error)) from None
    except (SyntaxError, ValueError, EOFError) as error:
        raise FileRejected(Rejection.CORRUPT, str(error)) from None


def _orientation(image: Image.Image) -> int:
    value = image.getexif().get(_ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _oriented(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    width, height = size
    return (height, width) if orientation in _TRANSPOSING_ORIENTATIONS else (width, height)


def _draft(image: Image.Image, sampled: tuple[int, int], orientation: int) -> int:
    """Ask a JPEG decoder for the smallest DCT scale still DRAFT_MIN_RATIO above `sampled`.

    Returns the scale denominator (1 when the format has no reduced decode).
    """
    want_width, want_height = _oriented(sampled, orientation)
    request = (
        max(1, math.ceil(want_width * DRAFT_MIN_RATIO)),
        max(1, math.ceil(want_height * DRAFT_MIN_RATIO)),
    )
    before = image.size
    if image.draft(None, request) is None:
        return 1
    return max(1, round(before[0] / image.size[0]))


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any mode to RGB; transparency composited on ALPHA_BACKGROUND, 16-bit scaled, not clipped."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # Pillow's I -> L conversion clips at 255; 16-bit samples must be scaled down instead.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*ALPHA_BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


@dataclass(frozen=True)
class _Geometry:
    """Where the output's pixels come from, in the oriented full-size image's coordinates."""

    target: tuple[int, int]
    box: tuple[float, float, float, float]
    """The region of the source that is resampled."""
    resized: tuple[int, int]
    """The size that region is resampled to (smaller than `target` only in pad mode)."""
    sampled_size: tuple[int, int]
    """The size the whole source would have at the output's scale: what the decoder must cover."""

    @classmethod
    def plan(cls, source: tuple[int, int], spec: ResizeSpec) -> _Geometry:
        width, height = source
        target_width, target_height = spec.size
        full_box = (0.0, 0.0, float(width), float(height))
        if spec.mode is ResizeMode.STRETCH:
            return cls(spec.size, full_box, spec.size, spec.size)
        if spec.mode is ResizeMode.CROP:
            scale = max(target_width / width, target_height / height)
            crop_width, crop_height = target_width / scale, target_height / scale
            left, top = (width - crop_width) / 2, (height - crop_height) / 2
            box = (left, top, left + crop_width, top + crop_height)
            sampled = (math.ceil(width * scale), math.ceil(height * scale))
            return cls(spec.size, box, spec.size, sampled)
        scale = min(target_width / width, target_height / height)
        fitted = (
            min(target_width, max(1, round(width * scale))),
            min(target_height, max(1, round(height * scale))),
        )
        return cls(spec.size, full_box, fitted, fitted)

    def apply(self, image: Image.Image, scale: float) -> Image.Image:
        """Resample `image`, the oriented source decoded at `scale`, to the target.

        A reduced decode's size is rounded up (a 2508-pixel row at 1/8 gives 314 pixels, the
        last one from half a block), so the box is scaled by the DCT scale, not by the ratio of
        sizes: that would stretch the picture by a fraction of a pixel.
        """
        left, top, right, bottom = self.box
        box = (left * scale, top * scale, right * scale, bottom * scale)
        resized = image.resize(self.resized, FINAL_FILTER, box=box, reducing_gap=REDUCING_GAP)
        if resized.size == self.target:
            return resized
        canvas = Image.new("RGB", self.target, PAD_COLOUR)
        # Centred with Python's rounding, as ImageOps.pad does.
        offset = (
            round((self.target[0] - resized.width) / 2),
            round((self.target[1] - resized.height) / 2),
        )
        canvas.paste(resized, offset)
        return canvas


def _encode(image: Image.Image, output_format: OutputFormat, jpeg_quality: int) -> bytes:
    """Encode without metadata, so equal pixels give byte-identical objects on redelivery."""
    buffer = io.BytesIO()
    if output_format is OutputFormat.PNG:
        image.save(buffer, "PNG")
    else:
        image.save(buffer, "JPEG", quality=jpeg_quality)
    return buffer.getvalue()
