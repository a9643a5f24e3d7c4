"""Where a source key's output and its outcome log go in the destination bucket (S3 layout)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

LOGS_FOLDER: Final = "logs"


class Outcome(StrEnum):
    """The recorded end of one file: its log object's suffix."""

    SUCCESS = "success"
    FAILED = "failed"


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
