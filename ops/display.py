"""Progress on a terminal (rich, as ``python -m local`` shows it), plain lines otherwise."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PLAIN_EVERY_SECONDS = 10.0
"""Off a terminal (CI, a log file), one line this often: enough to see it move."""
REFRESH_SECONDS = 0.25


@dataclass
class Counts:
    """A backfill's running totals. Written by the listing and the senders, read by the display
    (plain ints: a slightly stale read only delays a number by one refresh)."""

    listed: int = 0
    done: int = 0
    to_enqueue: int = 0
    enqueued: int = 0
    listing_finished: bool = False


class BackfillProgress:
    """Shows ``counts`` while the ``with`` block runs."""

    def __init__(self, console: Console, counts: Counts, *, dry_run: bool) -> None:
        self._console = console
        self._counts = counts
        self._dry_run = dry_run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self._started = time.monotonic()

    def __enter__(self) -> BackfillProgress:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        if self._console.is_terminal:
            self._rich()
        else:
            self._plain()

    def _rich(self) -> None:
        columns = (
            TextColumn("{task.description:>9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self._console, transient=True) as progress:
            listed = progress.add_task("listed", total=None, rate="")
            sent = progress.add_task("enqueued", total=None, rate="", visible=not self._dry_run)
            update = self._rich_updater(progress, listed, sent)
            while not self._stop.wait(REFRESH_SECONDS):
                update()
            update()

    def _rich_updater(self, progress: Progress, listed: TaskID, sent: TaskID) -> Callable[[], None]:
        def update() -> None:
            counts = self._counts
            elapsed = max(time.monotonic() - self._started, 1e-9)
            finished = counts.listing_finished
            progress.update(
                listed,
                completed=counts.listed,
                total=counts.listed if finished else None,
                rate=f"{counts.listed / elapsed:,.0f}/s, {counts.done:,} done",
            )
            progress.update(
                sent,
                completed=counts.enqueued,
                # The total is known once the listing ends; until then there is no ETA.
                total=counts.to_enqueue if finished else None,
                rate=f"{counts.enqueued / elapsed:,.0f}/s",
            )

        return update

    def _plain(self) -> None:
        while not self._stop.wait(PLAIN_EVERY_SECONDS):
            counts = self._counts
            elapsed = time.monotonic() - self._started
            self._console.print(
                f"listed {counts.listed:,} ({counts.listed / elapsed:,.0f}/s), already done "
                f"{counts.done:,}, enqueued {counts.enqueued:,} of {counts.to_enqueue:,} so far",
                highlight=False,
            )
