"""How deep the pipeline's queue is, as SQS reports it."""

from __future__ import annotations

from dataclasses import dataclass

from scaler.clients import BotoClient

VISIBLE_ATTRIBUTE = "ApproximateNumberOfMessages"
IN_FLIGHT_ATTRIBUTE = "ApproximateNumberOfMessagesNotVisible"


@dataclass(frozen=True)
class QueueDepth:
    visible: int
    """Messages waiting for a task: the backlog."""
    in_flight: int
    """Messages received by a task and not yet deleted or returned."""


def read_queue_depth(sqs: BotoClient, queue_url: str) -> QueueDepth:
    """Both counts in one GetQueueAttributes call. SQS's counts are approximate (eventually
    consistent for about a minute); the scaler runs again on its schedule, so that suffices."""
    response = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=[VISIBLE_ATTRIBUTE, IN_FLIGHT_ATTRIBUTE]
    )
    attributes = response["Attributes"]
    return QueueDepth(
        visible=int(attributes[VISIBLE_ATTRIBUTE]), in_flight=int(attributes[IN_FLIGHT_ATTRIBUTE])
    )
