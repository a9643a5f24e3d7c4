"""Backfill's progress: rich's bars on a terminal, a plain line now and then elsewhere."""

from __future__ import annotations

import io
import re
import time

import pytest
from rich.console import Console

from ops import display
from ops.display import BackfillProgress, Counts


def shown(screen: io.StringIO, pattern: str, since: int = 0) -> str:
    """The screen's output after ``since`` once ``pattern`` appears in it (rich redraws on its
    own clock: wait for it rather than for a fixed time)."""
    deadline = time.monotonic() + 5
    while not re.search(pattern, text := screen.getvalue()[since:]):
        assert time.monotonic() < deadline, f"{pattern!r} never shown in:\n{text}"
        time.sleep(0.01)
    return text


def test_on_a_terminal_bars_show_counts_rate_and_the_total_once_listing_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(display, "REFRESH_SECONDS", 0.01)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    counts = Counts()
    with BackfillProgress(console, counts, dry_run=False):
        counts.listed, counts.done, counts.to_enqueue = 1_500, 500, 1_000
        # Still listing: counts and rate, but no total to enqueue yet
        listing = shown(screen, r"listed .*1500/\? .*/s, 500 done")
        assert "1000" not in listing
        counts.enqueued, counts.listing_finished = 400, True
        finished = shown(screen, r"enqueued .*400/1000 .*/s", since=len(listing))
    assert re.search(r"listed .*1500/1500", finished), finished


def test_a_dry_run_shows_no_enqueued_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(display, "REFRESH_SECONDS", 0.01)
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    counts = Counts(listed=7, to_enqueue=7, listing_finished=True)
    with BackfillProgress(console, counts, dry_run=True):
        pass  # rich draws once more as it stops, however short the run
    assert "listed" in screen.getvalue()
    assert "enqueued" not in screen.getvalue()


def test_off_a_terminal_one_plain_line_every_few_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    every = 0.05
    monkeypatch.setattr(display, "PLAIN_EVERY_SECONDS", every)
    log = io.StringIO()
    console = Console(file=log, force_terminal=False, width=200)
    counts = Counts(listed=2_000, done=500, to_enqueue=1_500, enqueued=1_200)
    began = time.monotonic()
    with BackfillProgress(console, counts, dry_run=False):
        shown(log, r"(?m)(^.*\n){2}")
    ran = time.monotonic() - began
    lines = log.getvalue().splitlines()
    # Each line waits a full interval after the one before, however slow the machine.
    assert 2 <= len(lines) <= ran / every + 0.1, (lines, ran)
    assert all("\x1b" not in line for line in lines)
    assert re.fullmatch(
        r"listed 2,000 \([\d,]+/s\), already done 500, enqueued 1,200 of 1,500 so far", lines[0]
    ), lines[0]
