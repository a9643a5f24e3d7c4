"""``report``: every file's outcome from the logs, failures by reason, and a cost estimate.

One pass over the joined listings (``ops.listing``); only ``.failed`` logs are read, for their
reason. ``--out`` streams one CSV row per file, so a large bucket's report needs no more memory
than a small one's (the counts are all it keeps).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Final

from rich.table import Table

from contract.env import DEFAULT_OUTPUT_FORMAT, DEFAULT_TARGET_SIZE, Env
from contract.layout import Outcome, log_key, output_keys
from contract.limits import SQS_BATCH_MAX_ENTRIES
from contract.ssm import Param
from contract.values import OutputFormat, parse_output_format, parse_target_sizes
from ops.backfill import LISTING_THREADS, place
from ops.clients import Clients
from ops.errors import OpsError
from ops.join import Joined
from ops.listing import walk
from ops.retry import failure_reason
from ops.stack import Stack

NO_OUTCOME: Final = "none"
"""A source object with no log yet (or only a log older than the object)."""
CSV_COLUMNS: Final = ("key", "outcome", "reason", "outputs")
"""``outputs``: a succeeded file's output keys, one per size, as a JSON list."""

# US East (N. Virginia) list prices, USD: https://aws.amazon.com/s3/pricing/ (S3 Standard) and
# https://aws.amazon.com/sqs/pricing/ (standard queue, past the free tier). Other regions differ
# by a few percent; the estimate says which prices it used.
S3_PUT_PER_REQUEST: Final = 0.005 / 1000
S3_GET_PER_REQUEST: Final = 0.0004 / 1000
SQS_PER_REQUEST: Final = 0.40 / 1_000_000
PRICES_NOTE: Final = "us-east-1 list prices"


@dataclass
class Report:
    succeeded: int = 0
    failed_by_reason: Counter[str] = field(default_factory=Counter)
    no_outcome: int = 0
    orphan_logs: int = 0
    """Logs whose source object is gone."""

    @property
    def failed(self) -> int:
        return sum(self.failed_by_reason.values())

    def requests(self) -> dict[str, int]:
        """The requests the recorded outcomes cost: per file a GET of the source, a PUT of its
        log and (succeeded) of its output; per message a send, and a receive and delete in
        batches of 10."""
        files = self.succeeded + self.failed
        return {
            "S3 GET": files,
            "S3 PUT": files + self.succeeded,
            "SQS": files + 2 * -(-files // SQS_BATCH_MAX_ENTRIES),
        }

    def cost(self) -> float:
        requests = self.requests()
        return (
            requests["S3 GET"] * S3_GET_PER_REQUEST
            + requests["S3 PUT"] * S3_PUT_PER_REQUEST
            + requests["SQS"] * SQS_PER_REQUEST
        )

    def table(self, stack: str) -> Table:
        table = Table(
            title=f"fargate-pipeline ({stack}): outcomes",
            caption=f"{PRICES_NOTE}; Fargate task time is billed on top",
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
        table.add_row("estimated request cost", f"${self.cost():.4f}")
        return table


@dataclass(frozen=True)
class OutputLayout:
    """What the stack's workers write for each file: their sizes and output format."""

    sizes: tuple[tuple[int, int], ...]
    output_format: OutputFormat

    def keys(self, prefix: str, key: str) -> str:
        return json.dumps(list(output_keys(prefix, key, self.sizes, self.output_format)))


def output_layout(clients: Clients, stack: Stack) -> OutputLayout:
    """Read from the workers' task definition, the one place the stack sets it (one request,
    not one per file: the success logs list the same keys, but reading them is a GET each)."""
    arn = stack.require(Param.ECS_TASK_DEFINITION)
    definition = clients.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    environment = {
        variable["name"]: variable["value"]
        for container in definition["containerDefinitions"]
        for variable in container.get("environment", [])
    }
    try:
        return OutputLayout(
            parse_target_sizes(environment.get(Env.TARGET_SIZE, DEFAULT_TARGET_SIZE)),
            parse_output_format(environment.get(Env.OUTPUT_FORMAT, DEFAULT_OUTPUT_FORMAT.value)),
        )
    except ValueError as error:
        raise OpsError(f"stack {stack.name!r}: the worker task definition's {error}") from None


def build_report(clients: Clients, stack: Stack, out: IO[str] | None = None) -> Report:
    report = Report()
    write: Callable[[tuple[str, ...]], object] = lambda row: None  # noqa: E731
    layout = None
    if out is not None:
        layout = output_layout(clients, stack)
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        write = writer.writerow
    entries = walk(clients.s3, place(stack), stack.source_prefix, threads=LISTING_THREADS)
    for entry in entries:
        write(_record(clients, stack, report, entry, layout))
    return report


def _record(
    clients: Clients,
    stack: Stack,
    report: Report,
    entry: Joined,
    layout: OutputLayout | None,
) -> tuple[str, ...]:
    if entry.source is None:
        report.orphan_logs += 1
    log = entry.log
    if log is None or (entry.source is not None and not entry.up_to_date):
        report.no_outcome += 1
        return (entry.key, NO_OUTCOME, "", "")
    if log.outcome is Outcome.SUCCESS:
        if entry.source is not None:
            report.succeeded += 1
        outputs = layout.keys(stack.dest_prefix, entry.key) if layout is not None else ""
        return (entry.key, log.outcome.value, "", outputs)
    where = log_key(stack.dest_prefix, entry.key, Outcome.FAILED)
    reason = failure_reason(clients.s3, stack.dest_bucket, where)
    if entry.source is not None:
        report.failed_by_reason[reason] += 1
    return (entry.key, log.outcome.value, reason, "")
