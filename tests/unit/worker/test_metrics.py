"""The worker's EMF lines: valid against the specification, one per file, what each counts."""

from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from contract.layout import Outcome
from tests.support import emf, images
from tests.unit.worker.test_files import CONFIG, FAILED_LOG, OUTPUT_KEY, RECORD, SUCCESS_LOG
from worker.files import FileProcessor, FileResult
from worker.logs import JsonLineFormatter
from worker.metrics import FileMetrics
from worker.rejection import Rejection

SSM_PATH = "/fargate-pipeline/dev/"
STACK = frozenset({("Stack", "dev")})
NOW = 1_764_600_000.25


def run_file(data: bytes | None, put_log: str, *, ssm_path: str | None = SSM_PATH) -> list[str]:
    """GIVEN one file (``data``; None: S3 says it is gone) WHEN the processor handles it with the
    worker's metrics THEN the metrics lines written."""
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    metrics_logger = logging.getLogger("worker.metrics")
    metrics_logger.addHandler(handler)
    metrics_logger.setLevel(logging.INFO)
    try:
        with Stubber(client) as stubber:
            if data is None:
                stubber.add_client_error("get_object", "NoSuchKey", http_status_code=404)
            else:
                stubber.add_response(
                    "get_object",
                    {
                        "Body": StreamingBody(io.BytesIO(data), len(data)),
                        "ContentLength": len(data),
                    },
                    {"Bucket": "src", "Key": RECORD.key},
                )
            if put_log == SUCCESS_LOG:
                stubber.add_response(
                    "put_object",
                    {},
                    {"Bucket": "dst", "Key": OUTPUT_KEY, "Body": ANY, "ContentType": ANY},
                )
            stubber.add_response(
                "put_object",
                {},
                {"Bucket": "dst", "Key": put_log, "Body": ANY, "ContentType": ANY, "Metadata": ANY},
            )
            metrics = FileMetrics(ssm_path, clock=lambda: NOW)
            config = replace(CONFIG, ssm_path=ssm_path)
            FileProcessor(client, config, threading.Semaphore(1), observer=metrics.record).handle(
                RECORD, "m-1"
            )
            stubber.assert_no_pending_responses()
    finally:
        metrics_logger.removeHandler(handler)
    return stream.getvalue().splitlines()


def only_document(lines: list[str]) -> dict[str, Any]:
    assert len(lines) == 1, lines
    document: dict[str, Any] = json.loads(lines[0])
    emf.validate(document)
    return document


def by_identity(document: dict[str, Any]) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(m.name, m.dimensions): m.value for m in emf.published(document)}


def test_a_succeeded_file_is_one_valid_line_with_its_time_and_bytes() -> None:
    source = images.jpeg()
    document = only_document(run_file(source, SUCCESS_LOG))

    published = by_identity(document)
    assert document["_aws"]["Timestamp"] == 1_764_600_000_250
    assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "fargate-pipeline"
    assert set(published) == {
        ("FilesSucceeded", STACK),
        ("ProcessingTime", STACK),
        ("BytesIn", STACK),
        ("BytesOut", STACK),
    }
    assert published[("FilesSucceeded", STACK)] == 1
    assert published[("BytesIn", STACK)] == len(source)
    assert 0 < published[("BytesOut", STACK)] < len(source)
    assert published[("ProcessingTime", STACK)] > 0
    units = {m["Name"]: m["Unit"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units == {
        "FilesSucceeded": "Count",
        "ProcessingTime": "Milliseconds",
        "BytesIn": "Bytes",
        "BytesOut": "Bytes",
    }


def test_a_failed_file_counts_once_in_all_and_once_under_its_reason() -> None:
    document = only_document(run_file(b"not an image at all", FAILED_LOG))

    published = by_identity(document)
    with_reason = STACK | {("Reason", "not-an-image")}
    assert set(published) == {
        ("FilesFailed", STACK),
        ("BytesIn", STACK),
        ("FilesFailed", with_reason),
    }
    assert published[("FilesFailed", STACK)] == 1
    assert published[("FilesFailed", with_reason)] == 1
    assert published[("BytesIn", STACK)] == len(b"not an image at all")


def test_a_file_gone_from_s3_fails_with_its_reason_and_no_bytes_read() -> None:
    published = by_identity(only_document(run_file(None, FAILED_LOG)))

    assert published[("FilesFailed", STACK | {("Reason", "object-gone")})] == 1
    assert published[("BytesIn", STACK)] == 0


def test_a_retried_file_is_neither_succeeded_nor_failed() -> None:
    metrics = FileMetrics(SSM_PATH, clock=lambda: NOW)
    document = metrics.document(FileResult(None, "destination not writable"), 12.0)
    emf.validate(document)

    assert by_identity(document) == {("FilesRetried", STACK): 1}


def test_without_a_stack_path_the_metrics_have_no_dimension() -> None:
    metrics = FileMetrics(None, clock=lambda: NOW)
    document = metrics.document(
        FileResult(Outcome.FAILED, "x", reason=Rejection.CORRUPT, bytes_in=3), 1.0
    )
    emf.validate(document)

    assert by_identity(document) == {
        ("FilesFailed", frozenset()): 1,
        ("BytesIn", frozenset()): 3,
        ("FilesFailed", frozenset({("Reason", "corrupt")})): 1,
    }


def test_an_invalid_document_is_caught_by_the_schema_check() -> None:
    # The check itself can fail: a unit EMF does not know, and a metric with no value.
    document = FileMetrics(SSM_PATH, clock=lambda: NOW).document(FileResult(None), 1.0)
    document["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "Files"
    with pytest.raises(Exception, match="Files"):
        emf.validate(document)
    document["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "Count"
    del document["FilesRetried"]
    with pytest.raises(AssertionError):
        emf.validate(document)
