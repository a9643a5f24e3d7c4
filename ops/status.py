"""``status``: where a run stands, in one screen (or one JSON object)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.table import Table

from contract.limits import LIST_TASKS_PAGE_SIZE
from ops.clients import Clients
from ops.stack import Stack

AGE_METRIC = "ApproximateAgeOfOldestMessage"
"""SQS has no API for the oldest message's age; CloudWatch has it, every minute."""
AGE_LOOKBACK = timedelta(minutes=15)
AGE_PERIOD_SECONDS = 60


@dataclass(frozen=True)
class Snapshot:
    stack: str
    enabled: bool
    visible: int
    in_flight: int
    delayed: int
    oldest_message_age_seconds: float | None
    """None when CloudWatch has no recent data point (an idle queue, or an emulator)."""
    dlq_depth: int | None
    """None when the user brought the queue (no DLQ under the stack)."""
    tasks_running: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> Table:
        table = Table(title=f"fargate-pipeline ({self.stack})", show_header=False)
        table.add_column(style="bold")
        table.add_column(justify="right")
        age = self.oldest_message_age_seconds
        dlq = "no DLQ (your queue)" if self.dlq_depth is None else f"{self.dlq_depth:,}"
        rows = (
            ("enabled", "yes" if self.enabled else "no (paused)"),
            ("waiting", f"{self.visible:,}"),
            ("in flight", f"{self.in_flight:,}"),
            ("delayed (backoff)", f"{self.delayed:,}"),
            ("oldest message", "unknown" if age is None else f"{age:,.0f} s"),
            ("in the DLQ", dlq),
            ("tasks running", f"{self.tasks_running:,}"),
        )
        for name, value in rows:
            table.add_row(name, value)
        return table


def snapshot(clients: Clients, stack: Stack) -> Snapshot:
    queue = _attributes(clients.sqs, stack.queue_url)
    dlq_url = stack.dlq_url
    dlq = _attributes(clients.sqs, dlq_url) if dlq_url is not None else None
    return Snapshot(
        stack=stack.name,
        enabled=stack.enabled,
        visible=queue["ApproximateNumberOfMessages"],
        in_flight=queue["ApproximateNumberOfMessagesNotVisible"],
        delayed=queue["ApproximateNumberOfMessagesDelayed"],
        oldest_message_age_seconds=oldest_age(clients.cloudwatch, stack.queue_url),
        dlq_depth=(
            None
            if dlq is None
            else dlq["ApproximateNumberOfMessages"] + dlq["ApproximateNumberOfMessagesNotVisible"]
        ),
        tasks_running=running_tasks(clients.ecs, stack.cluster, stack.task_family),
    )


def _attributes(sqs: Any, url: str) -> dict[str, int]:
    names = (
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))["Attributes"]
    return {name: int(found.get(name, 0)) for name in names}


def oldest_age(cloudwatch: Any, queue_url: str) -> float | None:
    now = datetime.now(UTC)
    response = cloudwatch.get_metric_statistics(
        Namespace="AWS/SQS",
        MetricName=AGE_METRIC,
        Dimensions=[{"Name": "QueueName", "Value": queue_url.rstrip("/").rsplit("/", 1)[-1]}],
        StartTime=now - AGE_LOOKBACK,
        EndTime=now,
        Period=AGE_PERIOD_SECONDS,
        Statistics=["Maximum"],
    )
    points = sorted(response.get("Datapoints", ()), key=lambda point: point["Timestamp"])
    return float(points[-1]["Maximum"]) if points else None


def running_tasks(ecs: Any, cluster: str, family: str) -> int:
    """The family's tasks with desired status RUNNING (starting ones too), across all pages."""
    pages = ecs.get_paginator("list_tasks").paginate(
        cluster=cluster,
        family=family,
        desiredStatus="RUNNING",
        PaginationConfig={"PageSize": LIST_TASKS_PAGE_SIZE},
    )
    return sum(len(page.get("taskArns", ())) for page in pages)
