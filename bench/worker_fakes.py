"""In-memory S3 and SQS for timing the whole worker without an emulator on the same CPUs.

moto's server is Python and would share the two cores with the worker under test, so its own
cost would decide a 1-vs-2-core ratio. These fakes answer the few calls the worker makes at
memory speed and count them; what runs is the worker's real loop, threads and image work.
Keyword arguments are spelled as boto3 spells them.
"""

from __future__ import annotations

import collections
import threading
import time
import uuid
from typing import Any

from contract.events import object_created


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self) -> bytes:
        return self._data

    def close(self) -> None:
        pass


class _FreshBody(_Body):
    def read(self) -> bytes:
        return bytes(memoryview(self._data))  # a copy: bytes() of a buffer never shares it


class FakeAws:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.objects: dict[tuple[str, str], bytes] = {}
        self.last_put_at = 0.0
        self._visible: collections.deque[dict[str, str]] = collections.deque()
        self._in_flight: dict[str, dict[str, str]] = {}
        self.s3 = _FakeS3(self)
        self.sqs = _FakeSqs(self)

    def count(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    def upload(self, bucket: str, key: str, data: bytes) -> None:
        self.objects[(bucket, key)] = data
        self._visible.append(
            {"MessageId": uuid.uuid4().hex, "Body": object_created(bucket, key, len(data))}
        )


class _FakeS3:
    def __init__(self, aws: FakeAws) -> None:
        self._aws = aws

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        self._aws.count("GetObject")
        data = self._aws.objects[(Bucket, Key)]
        return {"Body": _Body(data), "ContentLength": len(data), "ETag": '"fake"'}

    def put_object(
        self,
        *,
        Bucket: str,
        Key: str,
        Body: bytes,
        ContentType: str,
        Metadata: dict[str, str] | None = None,
    ) -> None:
        self._aws.count("PutObject")
        with self._aws._lock:
            self._aws.objects[(Bucket, Key)] = Body
            self._aws.last_put_at = time.perf_counter()


class _FakeSqs:
    def __init__(self, aws: FakeAws) -> None:
        self._aws = aws

    def receive_message(
        self,
        *,
        MaxNumberOfMessages: int,
        WaitTimeSeconds: int,
        **_: Any,
    ) -> dict[str, Any]:
        self._aws.count("ReceiveMessage")
        messages: list[dict[str, Any]] = []
        with self._aws._lock:
            while self._aws._visible and len(messages) < MaxNumberOfMessages:
                message = self._aws._visible.popleft()
                handle = uuid.uuid4().hex
                self._aws._in_flight[handle] = message
                messages.append({**message, "ReceiptHandle": handle, "Attributes": {}})
        if not messages:  # a long poll on an empty queue (nothing arrives while benchmarking)
            time.sleep(WaitTimeSeconds)
        return {"Messages": messages}

    def delete_message_batch(self, *, Entries: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        self._aws.count("DeleteMessageBatch")
        with self._aws._lock:
            for entry in Entries:
                del self._aws._in_flight[entry["ReceiptHandle"]]
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}

    def change_message_visibility_batch(
        self,
        *,
        Entries: list[dict[str, Any]],
        **_: Any,
    ) -> dict[str, Any]:
        self._aws.count("ChangeMessageVisibilityBatch")
        with self._aws._lock:
            for entry in Entries:
                if entry["VisibilityTimeout"] == 0:
                    self._aws._visible.append(self._aws._in_flight.pop(entry["ReceiptHandle"]))
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}


class LatentS3:
    """The fake S3 with a fixed delay before every request, as real S3 takes tens of
    milliseconds to a first byte or a PUT's answer whatever the size; and each GET's body read
    returns a fresh copy, as a real response does, so the bytes in flight show in memory."""

    def __init__(self, s3: _FakeS3, seconds: float) -> None:
        self._s3 = s3
        self._seconds = seconds

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        time.sleep(self._seconds)
        response = self._s3.get_object(**kwargs)
        return {**response, "Body": _FreshBody(response["Body"].read())}

    def put_object(self, **kwargs: Any) -> None:
        time.sleep(self._seconds)
        self._s3.put_object(**kwargs)
