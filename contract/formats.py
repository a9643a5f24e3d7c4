"""The image formats the worker decodes, and the key suffixes uploads of each come with.

The worker opens only these formats; the stack's default notification filter and
``python -m local``'s upload filter take exactly these suffixes, so a file the worker could
process is never left out of the queue, and nothing else is let in by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

DECODED_FORMATS: Final[Mapping[str, tuple[str, ...]]] = {
    "JPEG": (".jpg", ".jpeg"),
    "PNG": (".png",),
    "WEBP": (".webp",),
    "GIF": (".gif",),
    "BMP": (".bmp",),
}
"""Pillow format name -> the file suffixes (lower case) such files carry."""

DECODABLE_SUFFIXES: Final = tuple(
    suffix for suffixes in DECODED_FORMATS.values() for suffix in suffixes
)

DEFAULT_SOURCE_SUFFIXES: Final = (
    *DECODABLE_SUFFIXES,
    *(suffix.upper() for suffix in DECODABLE_SUFFIXES),
)
"""Every decodable suffix in lower and upper case (a camera writes ``IMG_0001.JPG``): S3's
suffix filter is case-sensitive, and one notification configuration takes one suffix."""
