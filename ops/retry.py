"""``retry``: enqueue the failed files again, and move the DLQ's messages back to the queue.

A file has failed when its newest log is ``.failed``. Only with ``--reason`` is a log read (for
its ``error.reason``): one request per failed file, never per file. The DLQ is moved with SQS's
own StartMessageMoveTask where the endpoint has it; otherwise (an emulator) each batch is
received, sent to the queue, and deleted from the DLQ only once the send succeeded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from contract.events import object_created
from contract.layout import Outcome, log_key
from contract.limits import SQS_BATCH_MAX_ENTRIES
from ops.clients import Clients
from ops.join import join
from ops.listing import Shard, list_logs
from ops.sender import BatchSender
from ops.stack import Stack

MOVE_UNSUPPORTED = frozenset({"InvalidAction", "UnsupportedOperation", "NotImplemented"})
"""What an AWS endpoint without StartMessageMoveTask (a partition that lacks it) answers."""
AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn")
"""SQS's own endpoints. Elsewhere (an emulator via AWS_ENDPOINT_URL) the move is done by hand:
moto answers StartMessageMoveTask with a bare HTTP 500 that retries cannot tell from an outage."""
MOVE_RUNNING = "RUNNING"
"""ListMessageMoveTasks' status of a move in progress."""
DLQ_VISIBILITY_SECONDS = 60
"""Long enough to send a received batch on and delete it; a crash returns it to the DLQ."""


@dataclass(frozen=True)
class RetryResult:
    enqueued: int
    """Files whose newest log is ``.failed`` (with the reason asked for), enqueued again."""
    dlq: str
    """What happened to the DLQ, in a sentence."""

    def summary(self) -> str:
        return f"re-enqueued {self.enqueued:,} failed file(s); {self.dlq}"


def failure_reason(s3: Any, bucket: str, key: str) -> str:
    """The ``error.reason`` a ``.failed`` log records ("" when it is not the worker's JSON)."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        reason = json.loads(body)["error"]["reason"]
    except (ValueError, KeyError, TypeError):
        return ""
    return reason if isinstance(reason, str) else ""


def failed_keys(clients: Clients, stack: Stack, reason: str | None) -> Iterator[str]:
    """Source keys whose newest log is ``.failed`` (and records ``reason``, when given)."""
    logs = list_logs(clients.s3, stack.dest_bucket, stack.dest_prefix, Shard(stack.source_prefix))
    for entry in join((), logs):
        if entry.log is None or entry.log.outcome is not Outcome.FAILED:
            continue
        if reason is not None:
            where = log_key(stack.dest_prefix, entry.key, Outcome.FAILED)
            if failure_reason(clients.s3, stack.dest_bucket, where) != reason:
                continue
        yield entry.key


def retry(clients: Clients, stack: Stack, reason: str | None) -> RetryResult:
    bucket = stack.source_bucket
    sender = BatchSender(clients.sqs, stack.queue_url)
    enqueued = sender.send_all(
        object_created(bucket, key, 0) for key in failed_keys(clients, stack, reason)
    )
    return RetryResult(enqueued=enqueued, dlq=redrive(clients.sqs, stack))


def redrive(sqs: Any, stack: Stack) -> str:
    dlq_url = stack.dlq_url
    if dlq_url is None:
        return (
            "no DLQ under the stack (you brought the queue): redrive its DLQ with "
            "aws sqs start-message-move-task"
        )
    if not _is_aws(sqs):
        return f"moved {move_by_hand(sqs, dlq_url, stack.queue_url):,} message(s) from the DLQ"
    source = _queue_arn(sqs, dlq_url)
    try:
        running = _running_move(sqs, source)
        if running is not None:
            return running
        handle = sqs.start_message_move_task(
            SourceArn=source, DestinationArn=_queue_arn(sqs, stack.queue_url)
        )["TaskHandle"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in MOVE_UNSUPPORTED:
            raise
        return f"moved {move_by_hand(sqs, dlq_url, stack.queue_url):,} message(s) from the DLQ"
    return f"moving the DLQ's messages back to the queue (SQS move task {handle})"


def _running_move(sqs: Any, source_arn: str) -> str | None:
    """What a move task already running on the DLQ has done (SQS runs one per queue at a time:
    a second retry reports the first instead of failing), or None."""
    tasks = sqs.list_message_move_tasks(SourceArn=source_arn, MaxResults=1).get("Results", [])
    if not tasks or tasks[0].get("Status") != MOVE_RUNNING:
        return None
    task = tasks[0]
    moved = task.get("ApproximateNumberOfMessagesMoved", 0)
    total = task.get("ApproximateNumberOfMessagesToMove")
    progress = f"{moved:,} of {total:,}" if total is not None else f"{moved:,}"
    return (
        f"the DLQ's messages are already moving back to the queue ({progress} moved; SQS move "
        f"task {task.get('TaskHandle', '')})"
    )


def move_by_hand(sqs: Any, source_url: str, destination_url: str) -> int:
    """Receive, send on, then delete: a message leaves the DLQ only once it is on the queue."""
    sender = BatchSender(sqs, destination_url)
    moved = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=source_url,
            MaxNumberOfMessages=SQS_BATCH_MAX_ENTRIES,
            VisibilityTimeout=DLQ_VISIBILITY_SECONDS,
            WaitTimeSeconds=1,
        ).get("Messages", [])
        if not messages:
            return moved
        sender.send_batch([message["Body"] for message in messages])
        response = sqs.delete_message_batch(
            QueueUrl=source_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(messages)
            ],
        )
        # A delete that failed leaves a copy to come back to the DLQ: sent twice, never lost
        # (the worker's outputs are deterministic, so a second run rewrites the same objects).
        moved += len(response.get("Successful", ()))


def _is_aws(sqs: Any) -> bool:
    host = urlsplit(sqs.meta.endpoint_url).hostname or ""
    return host.endswith(AWS_DOMAINS)


def _queue_arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    arn: str = attributes["Attributes"]["QueueArn"]
    return arn
