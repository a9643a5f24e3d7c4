"""The worker's settings, read once from the environment into one validated object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contract.env import (
    DEFAULT_DEST_PREFIX,
    DEFAULT_IDLE_SECONDS,
    DEFAULT_JPEG_QUALITY,
    DEFAULT_OUTPUT_FORMAT,
    DEFAULT_RESIZE_MODE,
    DEFAULT_TARGET_SIZE,
    JPEG_QUALITY_MAX,
    JPEG_QUALITY_MIN,
    Env,
)
from contract.values import (
    OutputFormat,
    parse_output_format,
    parse_resize_mode,
    parse_seconds,
    parse_target_sizes,
    parse_whole_number,
)
from worker.imaging import ResizeSpec

MAX_CONCURRENCY = 256


class ConfigError(Exception):
    """Required configuration is missing or malformed; the message is one sentence for a person."""


@dataclass(frozen=True)
class WorkerConfig:
    queue_url: str
    dest_bucket: str
    dest_prefix: str
    """Without leading or trailing `/`; empty means outputs at the bucket's root."""
    resize: ResizeSpec
    output_format: OutputFormat
    idle_seconds: float
    concurrency: int | None
    """None: follow the task's vCPUs."""
    ssm_path: str | None
    """With its trailing `/`, or None when the worker does not watch PIPELINE_ENABLED."""


def load_config(environ: Mapping[str, str]) -> WorkerConfig:
    """Read and validate every variable of the worker contract, or raise ConfigError naming it."""
    size_text = environ.get(Env.TARGET_SIZE, DEFAULT_TARGET_SIZE)
    mode_text = environ.get(Env.RESIZE_MODE, DEFAULT_RESIZE_MODE.value)
    try:
        sizes = parse_target_sizes(size_text)
    except ValueError as error:
        raise ConfigError(f"{Env.TARGET_SIZE}: {error}") from None
    try:
        output_format = parse_output_format(
            environ.get(Env.OUTPUT_FORMAT, DEFAULT_OUTPUT_FORMAT.value)
        )
    except ValueError as error:
        raise ConfigError(f"{Env.OUTPUT_FORMAT}: {error}") from None
    try:
        mode = parse_resize_mode(mode_text)
    except ValueError as error:
        raise ConfigError(f"{Env.RESIZE_MODE}: {error}") from None
    quality = _integer(
        environ, Env.JPEG_QUALITY, DEFAULT_JPEG_QUALITY, JPEG_QUALITY_MIN, JPEG_QUALITY_MAX
    )
    concurrency_text = environ.get(Env.CONCURRENCY, "").strip()
    ssm_path = environ.get(Env.SSM_PATH, "").strip()
    return WorkerConfig(
        queue_url=_required(environ, Env.QUEUE_URL, "the URL of the SQS queue to drain"),
        dest_bucket=_required(environ, Env.DEST_BUCKET, "the bucket outputs are written to"),
        dest_prefix=environ.get(Env.DEST_PREFIX, DEFAULT_DEST_PREFIX).strip().strip("/"),
        resize=ResizeSpec(sizes=sizes, mode=mode, quality=quality),
        output_format=output_format,
        idle_seconds=_seconds(environ, Env.IDLE_SECONDS, DEFAULT_IDLE_SECONDS),
        concurrency=(
            _integer(environ, Env.CONCURRENCY, 1, 1, MAX_CONCURRENCY) if concurrency_text else None
        ),
        ssm_path=(ssm_path if ssm_path.endswith("/") else f"{ssm_path}/") if ssm_path else None,
    )


def _required(environ: Mapping[str, str], name: Env, meaning: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: it must hold {meaning}")
    return value


def _integer(
    environ: Mapping[str, str], name: Env, default: int, minimum: int, maximum: int
) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        return parse_whole_number(text, minimum=minimum, maximum=maximum)
    except ValueError as error:
        raise ConfigError(f"{name}: {text!r}: {error}") from None


def _seconds(environ: Mapping[str, str], name: Env, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        return parse_seconds(text)
    except ValueError as error:
        raise ConfigError(f"{name}: {text!r}: {error}") from None
