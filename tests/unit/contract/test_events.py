"""A backfill's message is an S3 event the worker parses like the notification's."""

from __future__ import annotations

import json

import pytest

from contract.events import object_created
from worker.events import FileRecord, parse_body

KEYS = [
    "ecsproc/plain.jpg",
    "ecsproc/with space.jpg",
    "ecsproc/a+b.jpg",
    "ecsproc/100% café/日本 写真.jpg",
    "ecsproc/odd?&=#chars.jpg",
]


@pytest.mark.parametrize("key", KEYS)
def test_the_worker_reads_the_bucket_and_key_back(key: str) -> None:
    body = object_created("my-bucket", key, 1234)
    assert parse_body(body).records == (FileRecord(bucket="my-bucket", key=key),)


def test_keys_are_url_encoded_with_plus_for_spaces_as_s3_sends_them() -> None:
    record = json.loads(object_created("b", "ecsproc/a b+c.jpg", 5))["Records"][0]
    assert record["s3"]["object"]["key"] == "ecsproc/a+b%2Bc.jpg"
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["object"]["size"] == 5
