"""A permanent failure of one file, recorded in its `.failed` log with a contract reason."""

from __future__ import annotations

from contract.layout import Rejection

__all__ = ["FileRejected", "Rejection"]


class FileRejected(Exception):
    """Retrying cannot help: the message is deleted once this is recorded."""

    def __init__(self, reason: Rejection, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.warnings: tuple[str, ...] = ()
        """What the decoder warned about before it gave up (worker.imaging sets them)."""
