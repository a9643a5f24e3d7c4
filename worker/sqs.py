"""The SQS calls the worker makes, batched, with every batch's per-entry failures surfaced."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contract.limits import SQS_BATCH_MAX_ENTRIES, SQS_MAX_WAIT_TIME_SECONDS

logger = logging.getLogger(__name__)

QUEUE_MISSING_CODES = frozenset(
    {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue"}
)
"""The JSON protocol reports a missing queue as QueueDoesNotExist, the query protocol by its
legacy name."""


class QueueUnavailable(Exception):
    """The queue cannot be used (missing, forbidden, unreachable); the message is one line."""


@dataclass(frozen=True)
class Message:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    """1 on the first delivery; drives the backoff of transient failures."""


@dataclass(frozen=True)
class Lease:
    """What a batch call needs to name a received message."""

    message_id: str
    receipt_handle: str


@dataclass(frozen=True)
class EntryFailure:
    message_id: str
    code: str
    detail: str


class Queue:
    """One queue, through an injected boto3 SQS client."""

    def __init__(self, sqs: Any, url: str) -> None:
        self._sqs = sqs
        self.url = url

    def visibility_timeout(self) -> int:
        """The queue's VisibilityTimeout; also proves the queue exists and is reachable."""
        try:
            response = self._sqs.get_queue_attributes(
                QueueUrl=self.url, AttributeNames=["VisibilityTimeout"]
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in QUEUE_MISSING_CODES:
                raise QueueUnavailable(f"queue {self.url} does not exist") from None
            message = error.response.get("Error", {}).get("Message", "")
            raise QueueUnavailable(f"cannot read queue {self.url}: {code} {message}") from None
        except BotoCoreError as error:
            raise QueueUnavailable(f"cannot reach queue {self.url}: {error}") from None
        return int(response["Attributes"]["VisibilityTimeout"])

    def receive(self, max_messages: int, wait_seconds: int) -> list[Message]:
        response = self._sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max(1, min(SQS_BATCH_MAX_ENTRIES, max_messages)),
            WaitTimeSeconds=max(0, min(SQS_MAX_WAIT_TIME_SECONDS, wait_seconds)),
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [
            Message(
                message_id=raw["MessageId"],
                receipt_handle=raw["ReceiptHandle"],
                body=raw.get("Body", ""),
                receive_count=int(raw.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
            )
            for raw in response.get("Messages", [])
        ]

    def delete(self, leases: Sequence[Lease]) -> list[EntryFailure]:
        """Delete in batches of ten; returns the entries SQS refused (they will be redelivered)."""
        return self._batches(self._sqs.delete_message_batch, [(lease, {}) for lease in leases])

    def change_visibility(self, leases: Sequence[tuple[Lease, int]]) -> list[EntryFailure]:
        """Hide each message for its number of seconds from now (0: visible again at once)."""
        return self._batches(
            self._sqs.change_message_visibility_batch,
            [(lease, {"VisibilityTimeout": seconds}) for lease, seconds in leases],
        )

    def _batches(
        self, call: Callable[..., Any], entries: Sequence[tuple[Lease, dict[str, Any]]]
    ) -> list[EntryFailure]:
        failures: list[EntryFailure] = []
        for start in range(0, len(entries), SQS_BATCH_MAX_ENTRIES):
            chunk = entries[start : start + SQS_BATCH_MAX_ENTRIES]
            leases = {str(index): lease for index, (lease, _) in enumerate(chunk)}
            request = [
                {"Id": entry_id, "ReceiptHandle": leases[entry_id].receipt_handle, **extra}
                for entry_id, (_, extra) in zip(leases, chunk, strict=True)
            ]
            try:
                response = call(QueueUrl=self.url, Entries=request)
            except (ClientError, BotoCoreError) as error:
                # The whole call failed after botocore's retries: every entry is a failure.
                failures.extend(
                    EntryFailure(lease.message_id, type(error).__name__, str(error))
                    for lease in leases.values()
                )
                continue
            # A batch call succeeds as a whole while single entries fail: check each one.
            for failed in response.get("Failed", []):
                lease = leases.get(failed.get("Id", ""))
                if lease is not None:
                    failures.append(
                        EntryFailure(
                            lease.message_id, failed.get("Code", ""), failed.get("Message", "")
                        )
                    )
        return failures
