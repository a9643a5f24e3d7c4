"""How the contract's values are spelled, and the one parser for each kind.

The stack config, the SSM parameters, the worker's environment and the local pipeline all go
through these, so "what is a whole number" or "what is a size" has one answer everywhere.
Parsers raise ``ValueError`` with a sentence saying what was expected; callers add the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Final

TRUE_FLAG: Final = "1"
FALSE_FLAG: Final = "0"
LIST_SEPARATOR: Final = ","
"""Lists in SSM parameters and environment variables are comma-separated."""
SIZE_SEPARATOR: Final = "x"

MAX_TARGET_SIZES: Final = 5
"""Most sizes one pipeline makes from each decode: every size adds a resize, an encode and a PUT
per file, and training sets rarely need more than a few input sizes."""

MAX_DIMENSION: Final = 16384
"""Largest output side accepted: far beyond any training size, and below JPEG's 65535 limit."""

# A regex rather than str.isdigit() or int(): those also take "+5", "1_000", " 5" and non-ASCII
# digits such as "²" or "٣", which no AWS API or person means as a number here.
_WHOLE_NUMBER = re.compile(r"[0-9]+")

SUBNET_ID: Final = re.compile(r"subnet-[0-9a-f]{8,17}")
SECURITY_GROUP_ID: Final = re.compile(r"sg-[0-9a-f]{8,17}")
"""EC2 resource ids: the type's prefix and 8 (older) or 17 hexadecimal digits."""


class ResizeMode(StrEnum):
    STRETCH = "stretch"
    """Exactly WxH, aspect ratio not kept."""
    CROP = "crop"
    """Scale to cover WxH, then centre crop."""
    PAD = "pad"
    """Scale to fit inside WxH, then letterbox."""


class OutputFormat(StrEnum):
    """What outputs are encoded as (``outputFormat``, ``PIPELINE_OUTPUT_FORMAT``)."""

    SOURCE = "source"
    """PNG for keys ending in ``.png`` (any case), JPEG for every other key; the key is kept."""
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    """Lossy WebP, at the JPEG quality setting."""


class Capacity(StrEnum):
    """Values of ``PIPELINE_ECS_CAPACITY``: the Fargate capacity provider the workers run on."""

    FARGATE = "FARGATE"
    FARGATE_SPOT = "FARGATE_SPOT"


def parse_whole_number(text: str, *, minimum: int, maximum: int | None = None) -> int:
    """A whole number written with ASCII digits only, within ``minimum``..``maximum``."""
    if _WHOLE_NUMBER.fullmatch(text):
        value = int(text)
        if value >= minimum and (maximum is None or value <= maximum):
            return value
    allowed = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
    raise ValueError(f"expected a whole number {allowed}")


def parse_seconds(text: str) -> float:
    """A duration in seconds: a finite number, 0 or more (``20``, ``0.5``)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise ValueError("expected a number of seconds (0 or more)")
    return value


def encode_flag(value: bool) -> str:
    """The contract's encoding of a boolean: ``1`` or ``0``."""
    return TRUE_FLAG if value else FALSE_FLAG


def parse_flag(text: str) -> bool:
    if text not in (TRUE_FLAG, FALSE_FLAG):
        raise ValueError(f"expected {TRUE_FLAG} or {FALSE_FLAG}")
    return text == TRUE_FLAG


def encode_list(items: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(items)


def parse_list(text: str) -> tuple[str, ...]:
    """The non-empty items of a comma-separated list, spaces around them dropped."""
    return tuple(item.strip() for item in text.split(LIST_SEPARATOR) if item.strip())


def parse_id_list(text: str, pattern: re.Pattern[str], kind: str, most: int) -> tuple[str, ...]:
    """1 to ``most`` comma-separated ids, each matching ``pattern``."""
    ids = parse_list(text)
    if not ids or len(ids) > most:
        raise ValueError(f"expected 1 to {most} comma-separated {kind} ids")
    bad = [item for item in ids if not pattern.fullmatch(item)]
    if bad:
        raise ValueError(f"{', '.join(bad)} is not a {kind} id")
    return ids


def parse_target_size(text: str) -> tuple[int, int]:
    """``WxH`` (e.g. ``224x224``) as two whole numbers from 1 to MAX_DIMENSION."""
    width_text, sep, height_text = text.strip().lower().partition(SIZE_SEPARATOR)
    try:
        if sep:
            return (
                parse_whole_number(width_text, minimum=1, maximum=MAX_DIMENSION),
                parse_whole_number(height_text, minimum=1, maximum=MAX_DIMENSION),
            )
    except ValueError:
        pass
    raise ValueError(
        f"{text!r} is not a size: expected WxH with whole numbers from 1 to {MAX_DIMENSION}, "
        "e.g. 224x224"
    )


def parse_target_sizes(text: str) -> tuple[tuple[int, int], ...]:
    """One ``WxH`` or several, comma-separated (``224x224,299x299``), each once, at most
    MAX_TARGET_SIZES of them, in the order given."""
    items = [item.strip() for item in text.split(LIST_SEPARATOR)]
    if len(items) > MAX_TARGET_SIZES:
        raise ValueError(
            f"{text!r} lists {len(items)} sizes: at most {MAX_TARGET_SIZES} are made from one "
            "decode"
        )
    sizes = tuple(parse_target_size(item) for item in items)
    repeated = next((size for index, size in enumerate(sizes) if size in sizes[:index]), None)
    if repeated is not None:
        raise ValueError(f"{text!r} lists {format_size(repeated)} twice: each size once")
    return sizes


def format_sizes(sizes: Iterable[tuple[int, int]]) -> str:
    """The normal spelling of a size list: ``224x224,299x299``."""
    return encode_list(format_size(size) for size in sizes)


def parse_output_format(text: str) -> OutputFormat:
    try:
        return OutputFormat(text.strip().lower())
    except ValueError:
        allowed = ", ".join(output.value for output in OutputFormat)
        raise ValueError(f"{text!r} is not an output format: expected one of {allowed}") from None


def format_size(size: tuple[int, int]) -> str:
    """``(224, 224)`` as ``224x224``: the normal spelling of a size."""
    width, height = size
    return f"{width}{SIZE_SEPARATOR}{height}"


def parse_resize_mode(text: str) -> ResizeMode:
    try:
        return ResizeMode(text.strip().lower())
    except ValueError:
        allowed = ", ".join(mode.value for mode in ResizeMode)
        raise ValueError(f"{text!r} is not a resize mode: expected one of {allowed}") from None


def parse_capacity(text: str) -> Capacity:
    try:
        return Capacity(text)
    except ValueError:
        allowed = " or ".join(capacity.value for capacity in Capacity)
        raise ValueError(f"expected {allowed}") from None
