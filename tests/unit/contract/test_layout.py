"""The destination layout of the contract: outputs and logs per source key."""

from __future__ import annotations

import pytest

from contract.layout import (
    Outcome,
    encoded_format,
    log_key,
    logs_prefix,
    output_keys,
    output_name,
    written_keys,
)
from contract.values import OutputFormat

ONE = ((224, 224),)
TWO = ((224, 224), (299, 299))


def test_output_and_logs_under_the_prefix() -> None:
    key = "ecsproc/a b+é.jpg"
    assert output_keys("processed", key, ONE) == ("processed/ecsproc/a b+é.jpg",)
    assert log_key("processed", key, Outcome.SUCCESS) == "processed/logs/ecsproc/a b+é.jpg.success"
    assert log_key("processed", key, Outcome.FAILED) == "processed/logs/ecsproc/a b+é.jpg.failed"


def test_empty_prefix_has_no_leading_slash() -> None:
    assert output_keys("", "x.jpg", ONE) == ("x.jpg",)
    assert output_keys("", "x.jpg", TWO) == ("224x224/x.jpg", "299x299/x.jpg")
    assert log_key("", "x.jpg", Outcome.FAILED) == "logs/x.jpg.failed"


def test_every_log_key_starts_with_the_logs_prefix() -> None:
    for prefix, expected in (("processed", "processed/logs/"), ("", "logs/")):
        assert logs_prefix(prefix) == expected
        assert log_key(prefix, "a/b.jpg", Outcome.SUCCESS).startswith(expected)


def test_written_keys_are_the_output_and_both_logs() -> None:
    assert written_keys("processed", "a.png", ONE) == (
        "processed/a.png",
        "processed/logs/a.png.success",
        "processed/logs/a.png.failed",
    )


def test_several_sizes_go_in_a_folder_each_in_the_order_given() -> None:
    assert output_keys("processed", "ecsproc/a.jpg", ((299, 299), (224, 224))) == (
        "processed/299x299/ecsproc/a.jpg",
        "processed/224x224/ecsproc/a.jpg",
    )
    assert written_keys("processed", "a.jpg", TWO)[2:] == (
        "processed/logs/a.jpg.success",
        "processed/logs/a.jpg.failed",
    )


@pytest.mark.parametrize(
    ("key", "output_format", "name"),
    [
        ("ecsproc/a.jpg", OutputFormat.SOURCE, "ecsproc/a.jpg"),
        ("ecsproc/a.jpg", OutputFormat.WEBP, "ecsproc/a.webp"),
        ("ecsproc/a.PNG", OutputFormat.JPEG, "ecsproc/a.jpg"),
        ("ecsproc/a.tar.gz", OutputFormat.PNG, "ecsproc/a.tar.png"),
        ("ecsproc/noextension", OutputFormat.WEBP, "ecsproc/noextension.webp"),
        ("dir.v2/photo", OutputFormat.JPEG, "dir.v2/photo.jpg"),
    ],
)
def test_a_forced_format_replaces_the_extension(
    key: str, output_format: OutputFormat, name: str
) -> None:
    assert output_name(key, output_format) == name


def test_forced_format_keys_keep_the_size_folders() -> None:
    assert output_keys("p", "a.jpg", TWO, OutputFormat.WEBP) == (
        "p/224x224/a.webp",
        "p/299x299/a.webp",
    )


@pytest.mark.parametrize(
    ("key", "output_format", "encoded"),
    [
        ("a/b.png", OutputFormat.SOURCE, OutputFormat.PNG),
        ("a/b.PNG", OutputFormat.SOURCE, OutputFormat.PNG),
        ("a/b.jpg", OutputFormat.SOURCE, OutputFormat.JPEG),
        ("a/b.webp", OutputFormat.SOURCE, OutputFormat.JPEG),
        ("a/png", OutputFormat.SOURCE, OutputFormat.JPEG),
        ("a/b.png", OutputFormat.WEBP, OutputFormat.WEBP),
        ("a/b.jpg", OutputFormat.PNG, OutputFormat.PNG),
    ],
)
def test_the_encoded_format_follows_the_setting_or_the_key(
    key: str, output_format: OutputFormat, encoded: OutputFormat
) -> None:
    assert encoded_format(key, output_format) is encoded
