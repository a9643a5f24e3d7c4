"""Where a source key's output and its outcome log go in the destination bucket (S3 layout), and
the reasons a `.failed` log gives."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

LOGS_FOLDER: Final = "logs"


class Outcome(StrEnum):
    """The recorded end of one file: its log object's suffix."""

    SUCCESS = "success"
    FAILED = "failed"


class Rejection(StrEnum):
    """Why a file can never be processed: ``error.reason`` in its ``.failed`` log (what
    ``ops retry --reason`` selects on), each saying what a user can do about the file."""

    EMPTY = "empty"
    """The object has no bytes (an interrupted upload, a placeholder)."""
    NOT_AN_IMAGE = "not-an-image"
    """Not one of the supported formats (JPEG, PNG, WebP, GIF, BMP): a text file, a TIFF, a PSD."""
    UNSUPPORTED = "unsupported"
    """A supported format in a variant the decoder does not read (some BMP bitfield layouts,
    BMPs holding JPEG or PNG data, 2-bit BMPs): convert it to a common variant and upload again."""
    CORRUPT = "corrupt"
    """Claims a supported format but its header or pixel data is damaged."""
    TRUNCATED = "truncated"
    """The file ends before its pixel data does (a cut-short upload or copy)."""
    DECOMPRESSION_BOMB = "decompression-bomb"
    """Would decompress to more than the pixel limit (Pillow's MAX_IMAGE_PIXELS, about 89 million
    pixels) or holds a metadata chunk that inflates past Pillow's limit."""
    TOO_LARGE = "too-large"
    """The object is over the worker's size limit and was not read."""
    OBJECT_GONE = "object-gone"
    """The source object or its bucket was deleted after the event was sent."""


def _join(prefix: str, key: str) -> str:
    # An empty prefix means no leading "/": the key itself.
    return f"{prefix}/{key}" if prefix else key


def output_key(prefix: str, key: str) -> str:
    """``<prefix>/<key>``."""
    return _join(prefix, key)


def logs_prefix(prefix: str) -> str:
    """``<prefix>/logs/``: every log object's key starts with it."""
    return _join(prefix, f"{LOGS_FOLDER}/")


def log_key(prefix: str, key: str, outcome: Outcome) -> str:
    """``<prefix>/logs/<key>.success`` or ``.failed``."""
    return f"{logs_prefix(prefix)}{key}.{outcome.value}"


def written_keys(prefix: str, key: str) -> tuple[str, ...]:
    """Every key the worker may write for source ``key``: its output and either log."""
    return (output_key(prefix, key), *(log_key(prefix, key, outcome) for outcome in Outcome))
