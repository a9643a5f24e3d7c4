"""Log lines are single JSON objects carrying their fields."""

from __future__ import annotations

import json
import logging
import sys

from worker.logs import JsonLineFormatter, fields


def test_a_line_is_one_json_object_with_the_fields() -> None:
    record = logging.LogRecord("worker.files", logging.INFO, __file__, 1, "file", None, None)
    record.__dict__.update(fields(message_id="m-1", key="a\nb é.jpg", outcome="success"))
    line = JsonLineFormatter().format(record)
    assert "\n" not in line
    document = json.loads(line)
    assert document["event"] == "file"
    assert document["level"] == "info"
    assert (document["message_id"], document["key"], document["outcome"]) == (
        "m-1",
        "a\nb é.jpg",
        "success",
    )


def test_a_traceback_stays_inside_the_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("w", logging.ERROR, __file__, 1, "oops", None, exc_info)
    line = JsonLineFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["traceback"]
