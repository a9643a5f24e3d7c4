"""Where a source key's output and log go in the destination bucket (the S3 layout contract)."""

from __future__ import annotations

from enum import StrEnum

LOGS_FOLDER = "logs"


class Outcome(StrEnum):
    """The recorded end of one file: its log object's suffix."""

    SUCCESS = "success"
    FAILED = "failed"


def _join(prefix: str, key: str) -> str:
    # An empty prefix means no leading "/": the key itself.
    return f"{prefix}/{key}" if prefix else key


def output_key(prefix: str, key: str) -> str:
    """`<prefix>/<key>`."""
    return _join(prefix, key)


def logs_prefix(prefix: str) -> str:
    """`<prefix>/logs/`: every log object's key starts with it."""
    return _join(prefix, f"{LOGS_FOLDER}/")


def log_key(prefix: str, key: str, outcome: Outcome) -> str:
    """`<prefix>/logs/<key>.success` or `.failed`."""
    return f"{logs_prefix(prefix)}{key}.{outcome.value}"
