"""``report``: every file's outcome from the logs, failures by reason, and a cost estimate.

One pass over the joined listings (``ops.listing``); only ``.failed`` logs are read, for their
reason, and a few hundred logs' metadata for the task time (``ops.task_time``). ``--out`` streams
one CSV row per file, so a large bucket's report needs no more memory than a small one's (the
counts and the sample are all it keeps).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Final

from rich.table import Table

from contract.layout import Outcome, log_key
from contract.limits import SQS_BATCH_MAX_ENTRIES
from ops.backfill import LISTING_THREADS, place
from ops.clients import Clients
from ops.join import Joined
from ops.listing import walk
from ops.retry import failure_reason
from ops.stack import Stack
from ops.task_time import SECONDS_PER_HOUR, LogSample, TaskTimeEstimate, estimate, read_charges
from ops.workers import OutputLayout, TaskSize, describe_workers

NO_OUTCOME: Final = "none"
"""A source object with no log yet (or only a log older than the object)."""
CSV_COLUMNS: Final = ("key", "outcome", "reason", "outputs")
"""``outputs``: a succeeded file's output keys, one per size, as a JSON list."""

# US East (N. Virginia) list prices, USD: https://aws.amazon.com/s3/pricing/ (S3 Standard) and
# https://aws.amazon.com/sqs/pricing/ (standard queue, past the free tier); Fargate's in
# ops.task_time. Other regions differ by a few percent; the estimate says which prices it used.
S3_PUT_PER_REQUEST: Final = 0.005 / 1000
S3_GET_PER_REQUEST: Final = 0.0004 / 1000
SQS_PER_REQUEST: Final = 0.40 / 1_000_000
PRICES_NOTE: Final = "us-east-1 list prices"


@dataclass
class Report:
    task_size: TaskSize
    """What one worker task is billed for, from its task definition."""
    outputs_per_file: int = 1
    """One per target size."""
    succeeded: int = 0
    failed_by_reason: Counter[str] = field(default_factory=Counter)
    no_outcome: int = 0
    orphan_logs: int = 0
    """Logs whose source object is gone."""
    task_time: TaskTimeEstimate | None = None
    """None when no log carries its task's time (written by an older worker)."""

    @property
    def failed(self) -> int:
        return sum(self.failed_by_reason.values())

    def requests(self) -> dict[str, int]:
        """The requests the recorded outcomes cost: per file a GET of the source, a PUT of its
        log and (succeeded) of its outputs; per message a send, and a receive and delete in
        batches of 10."""
        files = self.succeeded + self.failed
        return {
            "S3 GET": files,
            "S3 PUT": files + self.succeeded * self.outputs_per_file,
            "SQS": files + 2 * -(-files // SQS_BATCH_MAX_ENTRIES),
        }

    def request_cost(self) -> float:
        requests = self.requests()
        return (
            requests["S3 GET"] * S3_GET_PER_REQUEST
            + requests["S3 PUT"] * S3_PUT_PER_REQUEST
            + requests["SQS"] * SQS_PER_REQUEST
        )

    def task_cost(self) -> float | None:
        return None if self.task_time is None else self.task_time.cost(self.task_size)

    def table(self, stack: str) -> Table:
        table = Table(
            title=f"fargate-pipeline ({stack}): outcomes",
            caption=f"{PRICES_NOTE}; {self._task_time_note()}",
            show_header=False,
        )
        table.add_column(style="bold")
        table.add_column(justify="right")
        table.add_row("succeeded", f"{self.succeeded:,}")
        table.add_row("failed", f"{self.failed:,}")
        for reason, count in sorted(self.failed_by_reason.items()):
            table.add_row(f"  {reason or 'unrecorded reason'}", f"{count:,}")
        table.add_row("no outcome yet", f"{self.no_outcome:,}")
        if self.orphan_logs:
            table.add_row("logs without a source", f"{self.orphan_logs:,}")
        for kind, count in self.requests().items():
            table.add_row(f"{kind} requests", f"{count:,}")
        table.add_row("estimated request cost", f"${self.request_cost():.4f}")
        time, task_cost = self.task_time, self.task_cost()
        if time is None or task_cost is None:
            table.add_row("estimated task cost", "unknown (no log carries its task time)")
            return table
        table.add_row("task time", f"{time.seconds / SECONDS_PER_HOUR:,.3f} task-hours")
        table.add_row("  processing (from the logs)", f"{time.processing_seconds:,.0f} s")
        tasks = f"{time.tasks_seen:,} task{'' if time.tasks_seen == 1 else 's'}"
        idle = f"  idle before exit ({tasks if time.exact else f'at least {tasks}'})"
        table.add_row(idle, f"{time.idle_seconds:,.0f} s")
        if time.minimum_seconds:
            table.add_row("  one-minute minimum", f"{time.minimum_seconds:,.0f} s")
        table.add_row("estimated task cost", f"${task_cost:.4f}")
        table.add_row("estimated total", f"${self.request_cost() + task_cost:.4f}")
        return table

    def _task_time_note(self) -> str:
        time = self.task_time
        if time is None:
            return "Fargate task time is billed on top"
        size = self.task_size
        how = (
            f"every one of the {time.files:,} logs"
            if time.exact
            else f"a sample of {time.priced:,} of the {time.files:,} logs"
        )
        return (
            f"task time from {how}, on-demand {size.architecture.value} "
            f"{size.vcpus:g} vCPU / {size.memory_gib:g} GB (Fargate Spot bills less); "
            "each task's image pull, billed from its start, is not included"
        )


def build_report(clients: Clients, stack: Stack, out: IO[str] | None = None) -> Report:
    workers = describe_workers(clients, stack)
    report = Report(workers.size, outputs_per_file=len(workers.layout.sizes))
    sample = LogSample()
    write: Callable[[tuple[str, ...]], object] = lambda row: None  # noqa: E731
    if out is not None:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        write = writer.writerow
    entries = walk(clients.s3, place(stack), stack.source_prefix, threads=LISTING_THREADS)
    for entry in entries:
        write(_record(clients, stack, report, entry, workers.layout if out else None, sample))
    charges = read_charges(clients.s3, stack.dest_bucket, sample.keys)
    report.task_time = estimate(sample, charges, workers.size)
    return report


def _record(
    clients: Clients,
    stack: Stack,
    report: Report,
    entry: Joined,
    layout: OutputLayout | None,
    sample: LogSample,
) -> tuple[str, ...]:
    if entry.source is None:
        report.orphan_logs += 1
    log = entry.log
    if log is None or (entry.source is not None and not entry.up_to_date):
        report.no_outcome += 1
        return (entry.key, NO_OUTCOME, "", "")
    where = log_key(stack.dest_prefix, entry.key, log.outcome)
    if entry.source is not None:
        sample.offer(where)
    if log.outcome is Outcome.SUCCESS:
        if entry.source is not None:
            report.succeeded += 1
        outputs = layout.keys(stack.dest_prefix, entry.key) if layout is not None else ""
        return (entry.key, log.outcome.value, "", outputs)
    reason = failure_reason(clients.s3, stack.dest_bucket, where)
    if entry.source is not None:
        report.failed_by_reason[reason] += 1
    return (entry.key, log.outcome.value, reason, "")
