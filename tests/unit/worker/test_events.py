"""Message bodies: S3 records (keys decoded), the test event, and everything else."""

from __future__ import annotations

import json

import pytest

from tests.support.worker_messages import s3_event, s3_test_event
from worker.events import FileRecord, NotAnS3Event, parse_body


def test_a_record_gives_its_bucket_and_decoded_key() -> None:
    # GIVEN a key with spaces, a plus sign and non-ASCII characters, encoded as S3 encodes it
    body = s3_event(("src", "ecsproc/my photo+1 café.jpg"))
    assert "my+photo%2B1+caf%C3%A9.jpg" in body
    # THEN the record carries the key as it is in the bucket
    assert parse_body(body).records == (FileRecord("src", "ecsproc/my photo+1 café.jpg"),)


def test_several_records_keep_their_order() -> None:
    parsed = parse_body(s3_event(("a", "1.jpg"), ("b", "2.jpg"), ("a", "3.jpg")))
    assert [record.key for record in parsed.records] == ["1.jpg", "2.jpg", "3.jpg"]


def test_the_s3_test_event_has_no_records() -> None:
    parsed = parse_body(s3_test_event("src"))
    assert parsed.test_event
    assert parsed.records == ()


def test_records_of_other_event_kinds_are_skipped() -> None:
    body = s3_event(("a", "1.jpg"), ("a", "2.jpg"), event_name="ObjectRemoved:Delete")
    parsed = parse_body(body)
    assert parsed.records == ()
    assert parsed.skipped == 2


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("hello", "not JSON"),
        ("[1, 2]", "not an object"),
        (json.dumps({"Records": []}), "no 'Records'"),
        (json.dumps({"Message": "an SNS envelope"}), "no 'Records'"),
        (json.dumps({"Records": [{"eventSource": "aws:sqs"}]}), "record 0 is not from aws:s3"),
        (
            json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}),
            "no s3.bucket.name",
        ),
    ],
)
def test_anything_else_is_not_an_s3_event(body: str, complaint: str) -> None:
    with pytest.raises(NotAnS3Event, match=complaint):
        parse_body(body)
