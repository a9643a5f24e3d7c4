"""``--source-suffix``: repeatable, ``""`` for every key, and the stack's default without it."""

from __future__ import annotations

from contract.config import upload_matches
from contract.formats import DEFAULT_SOURCE_SUFFIXES
from local.cli import parse_args, suffix_changes
from local.settings import LocalSettings


def _suffixes(*argv: str) -> tuple[str, ...]:
    defaults = LocalSettings()
    args = parse_args(["--images", ".", *argv], defaults)
    return defaults.replace(**suffix_changes(args.source_suffix)).config.source_suffixes


def test_without_the_option_every_decodable_suffix_in_both_cases_is_taken() -> None:
    suffixes = _suffixes()

    assert suffixes == DEFAULT_SOURCE_SUFFIXES
    for key in ("ecsproc/IMG_0001.JPG", "ecsproc/a.jpeg", "ecsproc/b.png", "ecsproc/c.WEBP"):
        assert upload_matches(key, "ecsproc/", suffixes), key
    assert not upload_matches("ecsproc/notes.txt", "ecsproc/", suffixes)


def test_the_option_may_be_given_once_per_suffix() -> None:
    assert _suffixes("--source-suffix", ".tif", "--source-suffix", ".TIF") == (".tif", ".TIF")


def test_an_empty_suffix_takes_every_key() -> None:
    suffixes = _suffixes("--source-suffix", "")

    assert suffixes == ()
    assert upload_matches("ecsproc/notes.txt", "ecsproc/", suffixes)
    assert not upload_matches("elsewhere/a.jpg", "ecsproc/", suffixes)
