"""SendMessageBatch: 10 a call, per-entry failures retried for those entries only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ops.errors import SendFailed
from ops.sender import ENTRY_ATTEMPTS, BatchSender

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/queue"
THROTTLED = {"Code": "RequestThrottled", "SenderFault": False, "Message": "slow down"}
TOO_BIG = {"Code": "InvalidParameterValue", "SenderFault": True, "Message": "too long"}


class FakeSqs:
    """Records each SendMessageBatch; ``fail(call, entry)`` says how an entry fails, if it does."""

    def __init__(self, fail: Callable[[int, dict[str, str]], dict[str, Any] | None]) -> None:
        self._fail = fail
        self.calls: list[list[dict[str, str]]] = []
        self.delivered: list[str] = []

    def send_message_batch(self, **request: Any) -> dict[str, Any]:
        entries: list[dict[str, str]] = request["Entries"]
        assert request["QueueUrl"] == QUEUE_URL
        assert 1 <= len(entries) <= 10
        call = len(self.calls)
        self.calls.append(entries)
        successful, failed = [], []
        for entry in entries:
            failure = self._fail(call, entry)
            if failure is None:
                self.delivered.append(entry["MessageBody"])
                successful.append({"Id": entry["Id"], "MessageId": f"m-{call}-{entry['Id']}"})
            else:
                failed.append({"Id": entry["Id"], **failure})
        return {"Successful": successful, "Failed": failed}


def never(call: int, entry: dict[str, str]) -> None:
    return None


def sender(sqs: FakeSqs, threads: int = 1) -> BatchSender:
    return BatchSender(sqs, QUEUE_URL, threads=threads, sleep=lambda seconds: None)


def test_bodies_go_in_batches_of_ten() -> None:
    sqs = FakeSqs(never)
    bodies = [f"body-{index}" for index in range(25)]
    assert sender(sqs, threads=3).send_all(bodies) == 25
    assert sorted(len(call) for call in sqs.calls) == [5, 10, 10]
    assert sorted(sqs.delivered) == sorted(bodies)


def test_only_the_failed_entries_are_sent_again() -> None:
    # GIVEN SQS throttling entries 3 and 7 of the first call
    sqs = FakeSqs(
        lambda call, entry: THROTTLED if call == 0 and entry["Id"] in ("3", "7") else None
    )
    bodies = [f"body-{index}" for index in range(10)]
    # WHEN sent
    assert sender(sqs).send_all(bodies) == 10
    # THEN the second call carries exactly those two, and each body arrived once
    assert [entry["MessageBody"] for entry in sqs.calls[1]] == ["body-3", "body-7"]
    assert len(sqs.calls) == 2
    assert sorted(sqs.delivered) == sorted(bodies)


def test_an_entry_failing_on_every_attempt_stops_the_run_and_says_so() -> None:
    sqs = FakeSqs(lambda call, entry: THROTTLED if entry["MessageBody"] == "stuck" else None)
    with pytest.raises(SendFailed, match=r"still failing after .* RequestThrottled"):
        sender(sqs).send_all(["ok-1", "stuck", "ok-2"])
    assert len(sqs.calls) == ENTRY_ATTEMPTS
    assert sorted(sqs.delivered) == ["ok-1", "ok-2"]


def test_an_entry_refused_as_the_senders_fault_is_not_retried() -> None:
    sqs = FakeSqs(lambda call, entry: TOO_BIG if entry["MessageBody"] == "huge" else None)
    with pytest.raises(SendFailed, match=r"refused 1 message.*InvalidParameterValue"):
        sender(sqs).send_all(["huge", "fine"])
    assert len(sqs.calls) == 1


def test_a_failed_batch_stops_further_batches() -> None:
    sqs = FakeSqs(lambda call, entry: TOO_BIG)
    with pytest.raises(SendFailed):
        sender(sqs, threads=1).send_all(f"body-{index}" for index in range(1000))
    # One batch failed; at most the few already handed to the thread pool were tried after it.
    assert len(sqs.calls) <= 3
