"""Python warnings as JSON: a file's warnings go into that file's log, any other into a log line.

Pillow reports what it recovered from ("Invalid APNG, will use default PNG image if possible",
"Corrupt EXIF data", "Image appears to be a malformed MPO file") with `warnings.warn`, which Python
prints as plain text on stderr: a line in the task's log stream that is not JSON. `install` replaces
`warnings.showwarning`, the hook Python documents for this; `capture` collects what the current
thread warns while one file is processed. (Python 3.11's `warnings.catch_warnings` swaps
process-wide state, so it cannot tell the worker's file threads apart; a context variable can.)
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

from PIL import Image

from worker.logs import fields

logger = logging.getLogger(__name__)

_caught: ContextVar[list[str] | None] = ContextVar("caught_warnings", default=None)


def install() -> None:
    """Route warnings into the JSON log. Pillow's decoders' warnings are shown every time (not
    once per code location, Python's default, which would leave all but the first file with a
    given problem without its note); its decompression bomb warning becomes an error, as the
    decoder refuses such files. Other warnings keep Python's default filters."""
    warnings.showwarning = _show
    warnings.filterwarnings("always", category=UserWarning, module=r"PIL\.")
    warnings.simplefilter("error", Image.DecompressionBombWarning)


@contextmanager
def capture() -> Iterator[list[str]]:
    """The warnings raised in this thread inside the block, as `Category: message` lines."""
    caught: list[str] = []
    token = _caught.set(caught)
    try:
        yield caught
    finally:
        _caught.reset(token)


def _show(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    text = f"{category.__name__}: {message}"
    caught = _caught.get()
    if caught is not None:
        caught.append(text)
        return
    logger.warning("python warning", extra=fields(warning=text, at=f"{filename}:{lineno}"))
