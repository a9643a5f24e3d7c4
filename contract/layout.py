"""Where a source key's outputs and its outcome log go in the destination bucket (S3 layout), and
the reasons a `.failed` log gives."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from contract.values import OutputFormat, format_size

LOGS_FOLDER: Final = "logs"

PNG_SOURCE_EXTENSION: Final = ".png"
"""With ``outputFormat`` ``source``, keys ending in this (any case) are written as PNG."""
FORMAT_EXTENSIONS: Final = {
    OutputFormat.JPEG: ".jpg",
    OutputFormat.PNG: ".png",
    OutputFormat.WEBP: ".webp",
}
"""The extension a forced output format gives an output's key, replacing the source key's."""


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


def encoded_format(key: str, output_format: OutputFormat) -> OutputFormat:
    """What source ``key``'s outputs are encoded as: never ``SOURCE``."""
    if output_format is not OutputFormat.SOURCE:
        return output_format
    png = key.lower().endswith(PNG_SOURCE_EXTENSION)
    return OutputFormat.PNG if png else OutputFormat.JPEG


def output_name(key: str, output_format: OutputFormat) -> str:
    """``key``; with a forced format, its extension replaced (``a.jpg`` -> ``a.webp``; a key
    with none gets the format's)."""
    if output_format is OutputFormat.SOURCE:
        return key
    stem, _ = posixpath.splitext(key)
    return stem + FORMAT_EXTENSIONS[output_format]


def output_keys(
    prefix: str,
    key: str,
    sizes: Sequence[tuple[int, int]],
    output_format: OutputFormat = OutputFormat.SOURCE,
) -> tuple[str, ...]:
    """One key per size, in order: ``<prefix>/<key>`` with one size; with several,
    ``<prefix>/<W>x<H>/<key>`` each (the name after ``output_name``)."""
    name = output_name(key, output_format)
    if len(sizes) == 1:
        return (_join(prefix, name),)
    return tuple(_join(prefix, f"{format_size(size)}/{name}") for size in sizes)


def logs_prefix(prefix: str) -> str:
    """``<prefix>/logs/``: every log object's key starts with it."""
    return _join(prefix, f"{LOGS_FOLDER}/")


def log_key(prefix: str, key: str, outcome: Outcome) -> str:
    """``<prefix>/logs/<key>.success`` or ``.failed``."""
    return f"{logs_prefix(prefix)}{key}.{outcome.value}"


def written_keys(
    prefix: str,
    key: str,
    sizes: Sequence[tuple[int, int]],
    output_format: OutputFormat = OutputFormat.SOURCE,
) -> tuple[str, ...]:
    """Every key the worker may write for source ``key``: its outputs and either log."""
    outputs = output_keys(prefix, key, sizes, output_format)
    return (*outputs, *(log_key(prefix, key, outcome) for outcome in Outcome))


class LogMetadata(StrEnum):
    """User metadata on every log object (``x-amz-meta-<name>``): this delivery's share of its
    task's time, which ``ops report`` prices. Kept out of the log's body, so a redelivered
    message still rewrites a byte-identical log."""

    TASK = "task"
    """The worker task that wrote the log (the ECS task's id; host and process off ECS)."""
    TASK_SECONDS = "task-seconds"
    """Seconds of the task's run charged to this file: the time since the task's previous log
    (its start, for the first). A task's charges add up to its time from start to last log."""
