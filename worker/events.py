"""What an SQS message body says: S3 records to process, an S3 test event, or something else."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from contract.events import CREATED_EVENT_PREFIX, EVENT_SOURCE, TEST_EVENT


class NotAnS3Event(Exception):
    """The body is not an S3 event notification; the message is left for the DLQ."""


@dataclass(frozen=True)
class FileRecord:
    """One object to process."""

    bucket: str
    key: str
    """Decoded: S3 event keys are URL-encoded with `+` for spaces."""


@dataclass(frozen=True)
class S3Message:
    records: tuple[FileRecord, ...]
    """The ObjectCreated records, in the message's order."""
    test_event: bool = False
    skipped: int = 0
    """Records of other event kinds (a shared queue may carry deletions): nothing to do."""


def parse_body(body: str) -> S3Message:
    """Parse an S3 event notification, or raise NotAnS3Event saying what is wrong with it."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError as error:
        raise NotAnS3Event(f"body is not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(document, dict):
        raise NotAnS3Event("body is JSON but not an object")
    if document.get("Event") == TEST_EVENT:
        return S3Message(records=(), test_event=True)
    raw_records = document.get("Records")
    if not isinstance(raw_records, list) or not raw_records:
        raise NotAnS3Event("body has no 'Records' list")
    records = []
    skipped = 0
    for index, raw in enumerate(raw_records):
        record = _record(index, raw)
        if record is None:
            skipped += 1
        else:
            records.append(record)
    return S3Message(records=tuple(records), skipped=skipped)


def _record(index: int, raw: Any) -> FileRecord | None:
    if not isinstance(raw, dict) or raw.get("eventSource") != EVENT_SOURCE:
        raise NotAnS3Event(f"record {index} is not from {EVENT_SOURCE}")
    event_name = raw.get("eventName")
    if not isinstance(event_name, str):
        raise NotAnS3Event(f"record {index} has no eventName")
    if not event_name.startswith(CREATED_EVENT_PREFIX):
        return None
    s3 = raw.get("s3")
    bucket = s3.get("bucket", {}).get("name") if isinstance(s3, dict) else None
    key = s3.get("object", {}).get("key") if isinstance(s3, dict) else None
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        raise NotAnS3Event(f"record {index} has no s3.bucket.name and s3.object.key")
    return FileRecord(bucket=bucket, key=unquote_plus(key))
