"""The worker loop in-process against moto's server, where S3 or the worker itself fails once:
transient S3 errors, a record throttled inside a two-record message, a lost delete, a bug escaping
a file thread. Each must leave the message for a backed-off retry, never strand or lose it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from tests.integration.worker.conftest import (
    PipelineFactory,
    Wrapped,
    client_error,
    run,
)
from tests.support import images
from tests.support.worker_messages import s3_event
from worker.events import FileRecord
from worker.files import FileProcessor, FileResult
from worker.loop import StopReason, Worker
from worker.sqs import Queue


def test_transient_s3_errors_leave_the_message_for_a_backed_off_retry(
    pipeline_factory: PipelineFactory,
) -> None:
    # GIVEN S3 that throttles the first GET of one file and fails the first PUT of another
    pipeline = pipeline_factory()
    for key in ("ok.jpg", "throttled.jpg", "put-fails.jpg"):
        pipeline.upload(key, images.jpeg())
    gets: Counter[str] = Counter()
    puts: Counter[str] = Counter()

    def get_object(**kwargs: Any) -> Any:
        gets[kwargs["Key"]] += 1
        if kwargs["Key"] == "throttled.jpg" and gets["throttled.jpg"] == 1:
            raise client_error("SlowDown", 503, "GetObject")
        return pipeline.s3.get_object(**kwargs)

    def put_object(**kwargs: Any) -> Any:
        puts[kwargs["Key"]] += 1
        if kwargs["Key"] == "processed/put-fails.jpg" and puts[kwargs["Key"]] == 1:
            raise client_error("InternalError", 500, "PutObject")
        return pipeline.s3.put_object(**kwargs)

    visibility_changes: list[int] = []

    def change_message_visibility_batch(**kwargs: Any) -> Any:
        visibility_changes.extend(entry["VisibilityTimeout"] for entry in kwargs["Entries"])
        return pipeline.sqs.change_message_visibility_batch(**kwargs)

    s3 = Wrapped(pipeline.s3, get_object=get_object, put_object=put_object)
    sqs = Wrapped(pipeline.sqs, change_message_visibility_batch=change_message_visibility_batch)
    # WHEN the worker runs with a one-second backoff
    worker = pipeline.worker(s3=s3, sqs=sqs, backoff=lambda receive_count: 1, idle_seconds=3)
    assert run(worker) is StopReason.IDLE
    # THEN the two failures were backed off (not deleted) and succeeded on redelivery
    assert visibility_changes == [1, 1]
    assert gets == {"ok.jpg": 1, "throttled.jpg": 2, "put-fails.jpg": 2}
    assert pipeline.successes() == {"ok.jpg", "throttled.jpg", "put-fails.jpg"}
    assert pipeline.queue_depth() == (0, 0)


def test_a_message_is_deleted_only_when_every_record_is_recorded(
    pipeline_factory: PipelineFactory,
) -> None:
    # GIVEN one message with two records, the second of which is throttled once
    pipeline = pipeline_factory()
    pipeline.upload("first.jpg", images.jpeg(), notify=False)
    pipeline.upload("second.jpg", images.jpeg(seed=1), notify=False)
    pipeline.send(s3_event((pipeline.source, "first.jpg"), (pipeline.source, "second.jpg")))
    gets: Counter[str] = Counter()
    deleted: list[str] = []

    def get_object(**kwargs: Any) -> Any:
        gets[kwargs["Key"]] += 1
        if kwargs["Key"] == "second.jpg" and gets["second.jpg"] == 1:
            raise client_error("ServiceUnavailable", 503, "GetObject")
        return pipeline.s3.get_object(**kwargs)

    def delete_message_batch(**kwargs: Any) -> Any:
        deleted.extend(entry["ReceiptHandle"] for entry in kwargs["Entries"])
        return pipeline.sqs.delete_message_batch(**kwargs)

    worker = pipeline.worker(
        s3=Wrapped(pipeline.s3, get_object=get_object),
        sqs=Wrapped(pipeline.sqs, delete_message_batch=delete_message_batch),
        backoff=lambda receive_count: 1,
        idle_seconds=3,
    )
    assert run(worker) is StopReason.IDLE
    # THEN the whole message came back, both records were redone, and it was deleted once
    assert gets == {"first.jpg": 2, "second.jpg": 2}
    assert len(deleted) == 1
    assert pipeline.successes() == {"first.jpg", "second.jpg"}
    assert pipeline.queue_depth() == (0, 0)


def test_a_redelivered_message_rewrites_identical_objects(
    pipeline_factory: PipelineFactory,
) -> None:
    # GIVEN a processed message whose delete was lost (as if the task died right after)
    pipeline = pipeline_factory()
    for name, make in images.GOOD_FILES.items():
        pipeline.upload(name, make())
    lost: list[list[dict[str, Any]]] = []

    def lost_delete(**kwargs: Any) -> Any:
        lost.append(kwargs["Entries"])
        return {"Successful": [{"Id": entry["Id"]} for entry in kwargs["Entries"]]}

    first = pipeline.worker(sqs=Wrapped(pipeline.sqs, delete_message_batch=lost_delete))
    assert run(first) is StopReason.IDLE
    before = pipeline.dest_objects()
    assert len(before) == 2 * len(images.GOOD_FILES)
    # WHEN their visibility timeout runs out (ended here at once, not waited for: a worker
    # racing the timeout could take them back before its idle stop) and they are processed again
    for entries in lost:
        pipeline.sqs.change_message_visibility_batch(
            QueueUrl=pipeline.queue_url,
            Entries=[
                {"Id": entry["Id"], "ReceiptHandle": entry["ReceiptHandle"], "VisibilityTimeout": 0}
                for entry in entries
            ],
        )
    assert pipeline.queue_depth() == (len(images.GOOD_FILES), 0)
    run(pipeline.worker())
    # THEN every output and log is byte-for-byte what it was
    assert pipeline.dest_objects() == before
    assert pipeline.queue_depth() == (0, 0)


def test_an_error_escaping_a_file_thread_does_not_strand_its_message(
    pipeline_factory: PipelineFactory,
) -> None:
    # GIVEN a processor that blows up once outside its own error handling
    pipeline = pipeline_factory()
    pipeline.upload("a.jpg", images.jpeg())
    config = pipeline.config()

    class ExplodingOnce(FileProcessor):
        exploded = False

        def handle(self, record: FileRecord, message_id: str) -> FileResult:
            if not ExplodingOnce.exploded:
                ExplodingOnce.exploded = True
                raise RuntimeError("bug")
            return super().handle(record, message_id)

    worker = Worker(
        Queue(pipeline.sqs, pipeline.queue_url),
        ExplodingOnce(pipeline.s3, config, threading.Semaphore(1)),
        concurrency=1,
        visibility_timeout=30,
        idle_seconds=3,
        backoff=lambda receive_count: 1,
    )
    # THEN the message is backed off, redelivered and processed, and the worker stops
    assert run(worker) is StopReason.IDLE
    assert pipeline.successes() == {"a.jpg"}
    assert pipeline.queue_depth() == (0, 0)
