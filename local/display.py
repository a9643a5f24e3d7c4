"""What a person sees: a live progress line while the pipeline works, and a summary table."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from local.pipeline import Status


def describe(status: Status) -> str:
    queue = status.queue
    parts = [
        f"[green]{status.succeeded} ok[/]",
        f"[red]{status.failed} failed[/]",
        f"queue {queue.visible} waiting / {queue.in_flight} in flight",
        f"tasks {status.tasks_running} running ({status.tasks_started} started)",
    ]
    if queue.dead_letters:
        parts.insert(2, f"[red]{queue.dead_letters} in DLQ[/]")
    return " | ".join(parts)


class ProgressDisplay:
    """A rich progress bar of files finished, with the queue and tasks beside it.

    Not on a terminal (CI logs, a pipe) a live bar cannot redraw, so each change of the status is
    printed as a line instead.
    """

    def __init__(self, console: Console, label: str) -> None:
        self._console = console
        self._last_line = ""
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._label = label
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressDisplay:
        if self._console.is_terminal:
            self._progress.start()
        self._task = self._progress.add_task(self._label, total=None, detail="starting")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, status: Status) -> None:
        assert self._task is not None, "use ProgressDisplay as a context manager"
        if not self._console.is_terminal:
            line = f"{status.finished}/{status.files} files | {describe(status)}"
            if line != self._last_line:
                self._console.print(line, soft_wrap=True)
                self._last_line = line
            return
        self._progress.update(
            self._task,
            total=status.files or None,
            completed=status.finished,
            detail=describe(status),
        )


def summary_table(status: Status, dead_lettered: int, notes: Sequence[str] = ()) -> Table:
    table = Table(title="fargate-pipeline (local)", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    busy = status.last_outcome_after or status.elapsed
    rate = status.finished / busy if busy > 0 else 0.0
    rows = [
        ("files", str(status.files)),
        ("succeeded", f"[green]{status.succeeded}[/]"),
        ("failed", f"[red]{status.failed}[/]" if status.failed else "0"),
        ("in the DLQ", f"[red]{dead_lettered}[/]" if dead_lettered else "0"),
        ("without an outcome", f"[red]{status.unaccounted}[/]" if status.unaccounted else "0"),
        ("left in the queue", str(status.queue.pending)),
        ("tasks started", str(status.tasks_started)),
        ("last outcome after", f"{busy:.1f} s"),
        ("files/s", f"{rate:.2f}"),
        ("queue empty after", f"{status.elapsed:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    for note in notes:
        table.add_row("note", note)
    return table
