"""The environment variables the worker (and, for the SSM path, the scaler) reads, with defaults.

The worker's task definition, the local pipeline's worker processes and the worker itself all use
these names. Variables that carry a parameter's value have the parameter's name.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from contract.ssm import Param
from contract.values import OutputFormat, ResizeMode


class Env(StrEnum):
    """Environment variables of the worker contract."""

    QUEUE_URL = Param.UNPROCESSED_SQS_URL.value
    """Required."""
    DEST_BUCKET = Param.S3_DEST_BUCKET.value
    """Required."""
    DEST_PREFIX = Param.S3_DEST_PREFIX.value
    TARGET_SIZE = "PIPELINE_TARGET_SIZE"
    RESIZE_MODE = "PIPELINE_RESIZE_MODE"
    OUTPUT_FORMAT = "PIPELINE_OUTPUT_FORMAT"
    JPEG_QUALITY = "PIPELINE_JPEG_QUALITY"
    IDLE_SECONDS = "PIPELINE_IDLE_SECONDS"
    """Exit after the queue gave nothing for this long."""
    CONCURRENCY = "PIPELINE_WORKER_CONCURRENCY"
    """Default: the task's vCPUs from the cgroup quota, not the host's CPU count."""
    SSM_PATH = "PIPELINE_SSM_PATH"
    """The stack's SSM path, trailing ``/`` included. The scaler's only variable; optional for
    the worker, which then stops taking messages once ``PIPELINE_ENABLED`` becomes 0."""


DEFAULT_DEST_PREFIX: Final = "processed"
DEFAULT_TARGET_SIZE: Final = "224x224"
DEFAULT_RESIZE_MODE: Final = ResizeMode.STRETCH
DEFAULT_OUTPUT_FORMAT: Final = OutputFormat.SOURCE
DEFAULT_JPEG_QUALITY: Final = 90
DEFAULT_IDLE_SECONDS: Final = 20

JPEG_QUALITY_MIN: Final = 1
JPEG_QUALITY_MAX: Final = 100
"""Pillow accepts 1..100 (95+ mostly grows the file); 0 is rejected as a typo, not 'worst'.
The same setting is WebP's quality (libwebp's 1-100 scale) when outputs are WebP."""
