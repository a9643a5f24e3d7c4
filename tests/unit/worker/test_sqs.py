"""The queue's calls with exact AWS shapes (Stubber): batches of ten, per-entry failures."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from tests.support.stubbed import stubbed_client
from worker.sqs import Lease, Queue, QueueUnavailable

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/pipeline"


@pytest.fixture
def stubbed() -> Iterator[tuple[Queue, Stubber]]:
    with stubbed_client("sqs") as (client, stubber):
        yield Queue(client, URL), stubber


def leases(count: int) -> list[Lease]:
    return [Lease(f"m{index}", f"handle-{index}") for index in range(count)]


def test_visibility_timeout_comes_from_the_queue(stubbed: tuple[Queue, Stubber]) -> None:
    queue, stubber = stubbed
    stubber.add_response(
        "get_queue_attributes",
        {"Attributes": {"VisibilityTimeout": "45"}},
        {"QueueUrl": URL, "AttributeNames": ["VisibilityTimeout"]},
    )
    assert queue.visibility_timeout() == 45


@pytest.mark.parametrize("code", ["AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"])
def test_missing_queue_is_one_clear_line(stubbed: tuple[Queue, Stubber], code: str) -> None:
    queue, stubber = stubbed
    stubber.add_client_error("get_queue_attributes", code, http_status_code=400)
    with pytest.raises(QueueUnavailable, match=f"^queue {re.escape(URL)} does not exist$"):
        queue.visibility_timeout()


def test_forbidden_queue_names_the_error(stubbed: tuple[Queue, Stubber]) -> None:
    queue, stubber = stubbed
    stubber.add_client_error("get_queue_attributes", "AccessDenied", "not allowed", 403)
    with pytest.raises(QueueUnavailable, match=r"cannot read queue .*: AccessDenied not allowed"):
        queue.visibility_timeout()


def test_receive_asks_for_the_receive_count(stubbed: tuple[Queue, Stubber]) -> None:
    queue, stubber = stubbed
    stubber.add_response(
        "receive_message",
        {
            "Messages": [
                {
                    "MessageId": "m1",
                    "ReceiptHandle": "h1",
                    "Body": "{}",
                    "Attributes": {"ApproximateReceiveCount": "3"},
                }
            ]
        },
        {
            "QueueUrl": URL,
            "MaxNumberOfMessages": 10,
            "WaitTimeSeconds": 20,
            "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
        },
    )
    # Out-of-range requests are clamped to SQS's limits rather than rejected by it.
    (message,) = queue.receive(max_messages=25, wait_seconds=60)
    assert (message.message_id, message.receipt_handle, message.receive_count) == ("m1", "h1", 3)


def test_deletes_go_in_batches_of_ten_and_report_failed_entries(
    stubbed: tuple[Queue, Stubber],
) -> None:
    queue, stubber = stubbed
    stubber.add_response(
        "delete_message_batch",
        {
            "Successful": [{"Id": str(index)} for index in range(9)],
            "Failed": [
                {"Id": "9", "SenderFault": True, "Code": "ReceiptHandleIsInvalid", "Message": "x"}
            ],
        },
        {
            "QueueUrl": URL,
            "Entries": [{"Id": str(i), "ReceiptHandle": f"handle-{i}"} for i in range(10)],
        },
    )
    stubber.add_response(
        "delete_message_batch",
        {"Successful": [{"Id": "0"}, {"Id": "1"}], "Failed": []},
        {
            "QueueUrl": URL,
            "Entries": [{"Id": str(i), "ReceiptHandle": f"handle-{i + 10}"} for i in range(2)],
        },
    )
    failures = queue.delete(leases(12))
    assert [(failure.message_id, failure.code) for failure in failures] == [
        ("m9", "ReceiptHandleIsInvalid")
    ]


def test_visibility_changes_carry_each_entrys_timeout(stubbed: tuple[Queue, Stubber]) -> None:
    queue, stubber = stubbed
    stubber.add_response(
        "change_message_visibility_batch",
        {
            "Successful": [{"Id": "0"}],
            "Failed": [
                {"Id": "1", "SenderFault": True, "Code": "MessageNotInflight", "Message": ""}
            ],
        },
        {
            "QueueUrl": URL,
            "Entries": [
                {"Id": "0", "ReceiptHandle": "handle-0", "VisibilityTimeout": 0},
                {"Id": "1", "ReceiptHandle": "handle-1", "VisibilityTimeout": 30},
            ],
        },
    )
    first, second = leases(2)
    failures = queue.change_visibility([(first, 0), (second, 30)])
    assert [(failure.message_id, failure.code) for failure in failures] == [
        ("m1", "MessageNotInflight")
    ]


def test_a_failed_batch_call_fails_every_entry(stubbed: tuple[Queue, Stubber]) -> None:
    queue, stubber = stubbed
    stubber.add_client_error("delete_message_batch", "InternalError", http_status_code=500)
    failures = queue.delete(leases(3))
    assert [failure.message_id for failure in failures] == ["m0", "m1", "m2"]
