"""The destination layout of the contract: outputs and logs per source key."""

from __future__ import annotations

from contract.layout import Outcome, log_key, logs_prefix, output_key, written_keys


def test_output_and_logs_under_the_prefix() -> None:
    key = "ecsproc/a b+é.jpg"
    assert output_key("processed", key) == "processed/ecsproc/a b+é.jpg"
    assert log_key("processed", key, Outcome.SUCCESS) == "processed/logs/ecsproc/a b+é.jpg.success"
    assert log_key("processed", key, Outcome.FAILED) == "processed/logs/ecsproc/a b+é.jpg.failed"


def test_empty_prefix_has_no_leading_slash() -> None:
    assert output_key("", "x.jpg") == "x.jpg"
    assert log_key("", "x.jpg", Outcome.FAILED) == "logs/x.jpg.failed"


def test_every_log_key_starts_with_the_logs_prefix() -> None:
    for prefix, expected in (("processed", "processed/logs/"), ("", "logs/")):
        assert logs_prefix(prefix) == expected
        assert log_key(prefix, "a/b.jpg", Outcome.SUCCESS).startswith(expected)


def test_written_keys_are_the_output_and_both_logs() -> None:
    assert written_keys("processed", "a.png") == (
        "processed/a.png",
        "processed/logs/a.png.success",
        "processed/logs/a.png.failed",
    )
