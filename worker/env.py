"""The worker's environment contract: variable names, defaults and the shared value parsers.

Plain Python with no dependencies, so the Pulumi components (which set this environment on the task
definition, and validate the stack config with the same parsers) and the local pipeline import it
without pulling in Pillow or boto3.
"""

from __future__ import annotations

from enum import StrEnum


class Env(StrEnum):
    """Environment variables the worker reads."""

    QUEUE_URL = "PIPELINE_UNPROCESSED_SQS_URL"
    """Required."""
    DEST_BUCKET = "PIPELINE_S3_DEST_BUCKET"
    """Required."""
    DEST_PREFIX = "PIPELINE_S3_DEST_PREFIX"
    TARGET_SIZE = "PIPELINE_TARGET_SIZE"
    RESIZE_MODE = "PIPELINE_RESIZE_MODE"
    JPEG_QUALITY = "PIPELINE_JPEG_QUALITY"
    IDLE_SECONDS = "PIPELINE_IDLE_SECONDS"
    """Exit after the queue gave nothing for this long."""
    CONCURRENCY = "PIPELINE_WORKER_CONCURRENCY"
    """Default: the task's vCPUs from the cgroup quota, not the host's CPU count."""
    SSM_PATH = "PIPELINE_SSM_PATH"
    """Optional: when set, the worker stops taking messages once PIPELINE_ENABLED becomes 0."""


class ResizeMode(StrEnum):
    STRETCH = "stretch"
    """Exactly WxH, aspect ratio not kept."""
    CROP = "crop"
    """Scale to cover WxH, then centre crop."""
    PAD = "pad"
    """Scale to fit inside WxH, then letterbox."""


DEFAULT_DEST_PREFIX = "processed"
DEFAULT_TARGET_SIZE = "224x224"
DEFAULT_RESIZE_MODE = ResizeMode.STRETCH
DEFAULT_JPEG_QUALITY = 90
DEFAULT_IDLE_SECONDS = 20

MAX_DIMENSION = 16384
"""Largest output side accepted: far beyond any training size, and below JPEG's 65535 limit."""


def parse_target_size(text: str) -> tuple[int, int]:
    """Parse ``WxH`` (e.g. ``224x224``) into positive integers, or raise ValueError saying why."""
    width_text, sep, height_text = text.strip().lower().partition("x")
    if sep and width_text.isdigit() and height_text.isdigit():
        width, height = int(width_text), int(height_text)
        if 1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION:
            return width, height
    raise ValueError(
        f"{text!r} is not a size: expected WxH with whole numbers from 1 to {MAX_DIMENSION}, "
        "e.g. 224x224"
    )


def parse_resize_mode(text: str) -> ResizeMode:
    """Parse a resize mode name, or raise ValueError listing the allowed ones."""
    try:
        return ResizeMode(text.strip().lower())
    except ValueError:
        allowed = ", ".join(mode.value for mode in ResizeMode)
        raise ValueError(f"{text!r} is not a resize mode: expected one of {allowed}") from None
