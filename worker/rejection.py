"""Why a file can never be processed: a permanent failure, recorded in its `.failed` log."""

from __future__ import annotations

from enum import StrEnum


class Rejection(StrEnum):
    EMPTY = "empty"
    NOT_AN_IMAGE = "not-an-image"
    CORRUPT = "corrupt"
    TRUNCATED = "truncated"
    DECOMPRESSION_BOMB = "decompression-bomb"
    TOO_LARGE = "too-large"
    OBJECT_GONE = "object-gone"
    """The source object or its bucket was deleted after the event was sent."""


class FileRejected(Exception):
    """Retrying cannot help: the message is deleted once this is recorded."""

    def __init__(self, reason: Rejection, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
