"""Moving the DLQ back on SQS itself: StartMessageMoveTask, checked against SQS's API model.

moto has no StartMessageMoveTask, so these use botocore's Stubber on a client for SQS's real
endpoint: each request is validated against the service's model (names, types, required
members), and the responses are the shapes SQS documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from contract.ssm import Param
from ops.retry import redrive
from ops.stack import Stack
from tests.support.stubbed import stubbed_client

ACCOUNT_URL = "https://sqs.us-east-1.amazonaws.com/123456789012"
QUEUE_URL, DLQ_URL = f"{ACCOUNT_URL}/queue", f"{ACCOUNT_URL}/dlq"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:queue"
DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:dlq"
STACK = Stack("dev", {Param.UNPROCESSED_SQS_URL: QUEUE_URL, Param.DLQ_URL: DLQ_URL})
ANY_RECEIVE = {"MaxNumberOfMessages": 10, "VisibilityTimeout": ANY, "WaitTimeSeconds": ANY}
HANDLE = "eyJ0YXNrSWQiOiJkYTFkOWRhMy1mMjc4LTQ3NjItODNkZS1hNmU5ODY5OTRiN2QifQ=="


@pytest.fixture
def sqs() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("sqs") as stubbed:
        yield stubbed


def expect_arn(stubber: Stubber, url: str, arn: str) -> None:
    stubber.add_response(
        "get_queue_attributes",
        {"Attributes": {"QueueArn": arn}},
        {"QueueUrl": url, "AttributeNames": ["QueueArn"]},
    )


def expect_moves(stubber: Stubber, results: list[dict[str, Any]]) -> None:
    stubber.add_response(
        "list_message_move_tasks",
        {"Results": results},
        {"SourceArn": DLQ_ARN, "MaxResults": 1},
    )


def test_a_move_task_takes_the_dlq_back_to_the_queue(sqs: tuple[Any, Stubber]) -> None:
    client, stubber = sqs
    expect_arn(stubber, DLQ_URL, DLQ_ARN)
    # GIVEN the DLQ's last move long finished
    expect_moves(stubber, [{"Status": "COMPLETED", "SourceArn": DLQ_ARN}])
    expect_arn(stubber, QUEUE_URL, QUEUE_ARN)
    stubber.add_response(
        "start_message_move_task",
        {"TaskHandle": HANDLE},
        {"SourceArn": DLQ_ARN, "DestinationArn": QUEUE_ARN},
    )
    assert redrive(client, STACK) == (
        f"moving the DLQ's messages back to the queue (SQS move task {HANDLE})"
    )


def test_a_move_already_running_is_reported_not_started_again(sqs: tuple[Any, Stubber]) -> None:
    client, stubber = sqs
    expect_arn(stubber, DLQ_URL, DLQ_ARN)
    expect_moves(
        stubber,
        [
            {
                "TaskHandle": HANDLE,
                "Status": "RUNNING",
                "SourceArn": DLQ_ARN,
                "DestinationArn": QUEUE_ARN,
                "ApproximateNumberOfMessagesMoved": 1200,
                "ApproximateNumberOfMessagesToMove": 5000,
                "StartedTimestamp": 1764633600000,
            }
        ],
    )
    assert redrive(client, STACK) == (
        "the DLQ's messages are already moving back to the queue (1,200 of 5,000 moved; SQS "
        f"move task {HANDLE})"
    )


def test_where_sqs_has_no_move_tasks_messages_are_moved_by_hand(
    sqs: tuple[Any, Stubber],
) -> None:
    # GIVEN an endpoint that refuses the move-task API, and one message in the DLQ
    client, stubber = sqs
    expect_arn(stubber, DLQ_URL, DLQ_ARN)
    stubber.add_client_error(
        "list_message_move_tasks", "UnsupportedOperation", http_status_code=400
    )
    message = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": '{"Records": []}'}
    stubber.add_response(
        "receive_message", {"Messages": [message]}, {"QueueUrl": DLQ_URL, **ANY_RECEIVE}
    )
    stubber.add_response(
        "send_message_batch",
        {"Successful": [{"Id": "0", "MessageId": "n1", "MD5OfMessageBody": "x"}], "Failed": []},
        {"QueueUrl": QUEUE_URL, "Entries": [{"Id": "0", "MessageBody": message["Body"]}]},
    )
    stubber.add_response(
        "delete_message_batch",
        {"Successful": [{"Id": "0"}], "Failed": []},
        {"QueueUrl": DLQ_URL, "Entries": [{"Id": "0", "ReceiptHandle": "r1"}]},
    )
    stubber.add_response("receive_message", {}, {"QueueUrl": DLQ_URL, **ANY_RECEIVE})
    # THEN the message is sent on before it leaves the DLQ
    assert redrive(client, STACK) == "moved 1 message(s) from the DLQ"


def test_any_other_refusal_is_an_aws_error(sqs: tuple[Any, Stubber]) -> None:
    client, stubber = sqs
    expect_arn(stubber, DLQ_URL, DLQ_ARN)
    expect_moves(stubber, [])
    expect_arn(stubber, QUEUE_URL, QUEUE_ARN)
    stubber.add_client_error(
        "start_message_move_task", "AccessDenied", "not allowed", http_status_code=403
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        redrive(client, STACK)
