"""Encoding an output: the formats the worker writes and the settings each is written with."""

from __future__ import annotations

import io
from enum import StrEnum

from PIL import Image

from contract.layout import encoded_format
from contract.values import OutputFormat

PNG_COMPRESS_LEVEL = 1
"""zlib level 1 instead of Pillow's 6. On 224x224 photos (bench/output_sizes.py) level 1 encodes
in about 0.8 of the time for 9% more bytes (13.5 ms, 105 KB vs 17-21 ms, 96 KB): outputs are
written once and read by a training job, which does not care about a few more KB."""

WEBP_METHOD = 0
"""libwebp's speed/size trade-off (0 fastest, 6 smallest; 4 is its default). On 224x224 photos
method 0 encodes in 0.37 of method 4's time for 2% more bytes at the same quality (4.9 ms,
17.2 KB, 29.2 dB vs 13.1 ms, 16.8 KB, 29.3 dB; bench/output_sizes.py)."""


class ImageFormat(StrEnum):
    """What an output is encoded as (the value is Pillow's format name; the member names are
    the contract's OutputFormat names)."""

    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"

    @property
    def content_type(self) -> str:
        return f"image/{self.value.lower()}"


def image_format_for(key: str, output_format: OutputFormat) -> ImageFormat:
    """What `key`'s outputs are encoded as under the `outputFormat` setting (the contract's rule:
    `source` keeps PNG for `.png` keys and JPEG for the rest)."""
    return ImageFormat[encoded_format(key, output_format).name]


def encode(image: Image.Image, output_format: ImageFormat, quality: int) -> bytes:
    """Encode with no metadata, so equal pixels give byte-identical objects on redelivery.

    `quality` is the JPEG quality, and WebP's (lossy WebP on the same 1-100 scale).
    """
    buffer = io.BytesIO()
    if output_format is ImageFormat.PNG:
        image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    elif output_format is ImageFormat.WEBP:
        image.save(buffer, "WEBP", quality=quality, method=WEBP_METHOD)
    else:
        image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
