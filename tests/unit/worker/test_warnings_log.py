"""Warnings become JSON: inside a file's processing they are collected, elsewhere logged."""

from __future__ import annotations

import io
import json
import logging
import threading
import warnings
from collections.abc import Iterator

import pytest
from PIL import Image, PngImagePlugin

from tests.support import images
from worker import warnings_log
from worker.logs import JsonLineFormatter


@pytest.fixture
def installed() -> Iterator[io.StringIO]:
    """The worker's warning set-up, with the JSON log written to a buffer; undone afterwards."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    logger = logging.getLogger("worker.warnings_log")
    logger.addHandler(handler)
    with warnings.catch_warnings():  # restores the filters and showwarning
        warnings_log.install()
        yield stream
    logger.removeHandler(handler)


def test_a_warning_in_a_capture_is_collected_not_printed(
    installed: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    with warnings_log.capture() as caught:
        warnings.warn("Invalid APNG", UserWarning, stacklevel=1)
    assert caught == ["UserWarning: Invalid APNG"]
    assert capsys.readouterr().err == ""
    assert installed.getvalue() == ""


def test_a_warning_outside_a_capture_is_one_json_line(
    installed: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    warnings.warn("something odd", UserWarning, stacklevel=1)
    (line,) = installed.getvalue().splitlines()
    assert json.loads(line)["warning"] == "UserWarning: something odd"
    assert capsys.readouterr().err == ""


def test_pillow_warnings_are_collected_for_every_file_not_once(installed: io.StringIO) -> None:
    # GIVEN two files with the same problem, decoded one after the other
    data = images.apng_with_a_bad_frame_count()
    collected = []
    for _ in range(2):
        with warnings_log.capture() as caught:
            Image.open(io.BytesIO(data)).load()
        collected.append(caught)
    # THEN each has its warning (Python's default shows one per code location per process)
    assert all(any("Invalid APNG" in text for text in caught) for caught in collected)
    assert PngImagePlugin.__name__.startswith("PIL.")


def test_each_thread_collects_its_own_warnings(installed: io.StringIO) -> None:
    results: dict[str, list[str]] = {}
    ready = threading.Barrier(2)

    def work(name: str) -> None:
        with warnings_log.capture() as caught:
            ready.wait()
            warnings.warn(name, UserWarning, stacklevel=1)
            ready.wait()
        results[name] = caught

    threads = [threading.Thread(target=work, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {"one": ["UserWarning: one"], "two": ["UserWarning: two"]}


def test_the_bomb_warning_is_an_error_once_installed(installed: io.StringIO) -> None:
    with pytest.raises(Image.DecompressionBombWarning):
        warnings.warn("big", Image.DecompressionBombWarning, stacklevel=1)


def test_other_warnings_keep_pythons_default_filters(installed: io.StringIO) -> None:
    # An unclosed file in some library must not become a log line per occurrence.
    with warnings_log.capture() as caught:
        warnings.warn("unclosed file", ResourceWarning, stacklevel=1)
    assert caught == []
