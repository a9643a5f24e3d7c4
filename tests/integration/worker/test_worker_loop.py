"""The worker loop in-process against moto's server, with wrapped clients where AWS must fail.

These cover what needs a hand on the inside: transient S3 errors, a slow file, a lost delete,
the off switch flipped mid-run, and the end of the shutdown grace period.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from tests.integration.worker.conftest import Pipeline, PipelineFactory
from tests.support import images
from tests.support.worker_messages import s3_event
from worker.enabled import EnabledSwitch
from worker.encoding import ImageFormat
from worker.events import FileRecord
from worker.files import FileProcessor, FileResult
from worker.imaging import Processed, ResizeSpec, process_image
from worker.loop import StopReason, Worker
from worker.sqs import Queue

RUN_TIMEOUT_SECONDS = 60


class Wrapped:
    """A boto3 client whose chosen methods are replaced; everything else is the real client."""

    def __init__(self, real: Any, **overrides: Any) -> None:
        self._real = real
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._real, name)


def client_error(code: str, status: int, operation: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


def run(worker: Any) -> StopReason:
    """Run in a thread so a hung worker fails the test instead of hanging it."""
    outcome: list[StopReason] = []
    thread = threading.Thread(target=lambda: outcome.append(worker.run()), daemon=True)
    thread.start()
    thread.join(RUN_TIMEOUT_SECONDS)
    assert outcome, "the worker did not stop"
    return outcome[0]


def successes(pipeline: Pipeline) -> set[str]:
    return {
        key.removeprefix("processed/logs/").removesuffix(".success")
        for key in pipeline.dest_objects()
        if key.endswith(".success")
    }


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
    assert successes(pipeline) == {"ok.jpg", "throttled.jpg", "put-fails.jpg"}
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
    assert successes(pipeline) == {"first.jpg", "second.jpg"}
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


def test_heartbeat_keeps_a_slow_file_from_being_redelivered(
    pipeline_factory: PipelineFactory,
) -> None:
    # GIVEN a queue with a 2 s visibility timeout and a file that takes 5 s
    pipeline = pipeline_factory(visibility_timeout=2)
    pipeline.upload("slow.jpg", images.jpeg())
    calls: list[float] = []
    taken = threading.Event()

    def slow_process(data: bytes, output: ImageFormat, spec: ResizeSpec) -> Processed:
        calls.append(time.monotonic())
        taken.set()
        time.sleep(5)
        return process_image(data, output, spec)

    stolen: list[dict[str, Any]] = []
    done = threading.Event()

    def other_consumer() -> None:
        taken.wait(RUN_TIMEOUT_SECONDS)
        while not done.is_set():
            response = pipeline.sqs.receive_message(
                QueueUrl=pipeline.queue_url, WaitTimeSeconds=0, VisibilityTimeout=0
            )
            stolen.extend(response.get("Messages", []))
            time.sleep(0.2)

    worker = pipeline.worker(process=slow_process, visibility_timeout=2)
    watcher = threading.Thread(target=other_consumer, daemon=True)
    watcher.start()
    try:
        # WHEN the worker processes it while another consumer keeps asking for messages
        assert run(worker) is StopReason.IDLE
    finally:
        done.set()
        watcher.join(5)
    # THEN nobody else ever received it, it was processed once, and it is gone from the queue
    assert stolen == []
    assert len(calls) == 1
    assert successes(pipeline) == {"slow.jpg"}
    assert pipeline.queue_depth() == (0, 0)


def test_switching_the_pipeline_off_stops_intake_and_finishes_what_is_held(
    pipeline_factory: PipelineFactory,
) -> None:
    # GIVEN a running pipeline with a backlog of slowish files, larger than what the worker
    # holds at once even when a loaded machine makes the emulator slow (it then keeps more
    # files in flight)
    pipeline = pipeline_factory()
    name = f"{pipeline.ssm_path}PIPELINE_ENABLED"
    pipeline.ssm.put_parameter(Name=name, Value="1", Type="String")
    backlog = 120
    for number in range(backlog):
        pipeline.upload(f"{number:03}.jpg", images.jpeg())

    def slowish(data: bytes, output: ImageFormat, spec: ResizeSpec) -> Processed:
        time.sleep(0.2)
        return process_image(data, output, spec)

    switch = EnabledSwitch(pipeline.ssm, pipeline.ssm_path, poll_seconds=0.3)
    worker = pipeline.worker(process=slowish, switch=switch, idle_seconds=30)

    def switch_off_after_first_file() -> None:
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while not successes(pipeline) and time.monotonic() < deadline:
            time.sleep(0.1)
        pipeline.ssm.put_parameter(Name=name, Value="0", Type="String", Overwrite=True)

    threading.Thread(target=switch_off_after_first_file, daemon=True).start()
    # WHEN the operator sets PIPELINE_ENABLED=0
    reason = run(worker)
    # THEN the worker stops taking messages, finishes those it held, and exits
    assert reason is StopReason.DISABLED
    visible, in_flight = pipeline.queue_depth()
    assert in_flight == 0
    assert visible > 0
    assert len(successes(pipeline)) + visible == backlog


def test_files_still_running_after_the_grace_period_are_handed_back(
    pipeline_factory: PipelineFactory,
) -> None:
    # GIVEN a file that takes far longer than the shutdown grace period
    pipeline = pipeline_factory()
    pipeline.upload("stuck.jpg", images.jpeg())
    started = threading.Event()

    def stuck(data: bytes, output: ImageFormat, spec: ResizeSpec) -> Processed:
        started.set()
        time.sleep(10)
        return process_image(data, output, spec)

    worker = pipeline.worker(process=stuck, shutdown_grace_seconds=0.5)
    threading.Thread(
        target=lambda: started.wait(RUN_TIMEOUT_SECONDS) and worker.request_stop(), daemon=True
    ).start()
    # WHEN the worker is told to stop while it runs
    began = time.monotonic()
    assert run(worker) is StopReason.SIGNAL
    # THEN it does not wait for the file: the message is visible again at once
    assert time.monotonic() - began < 10
    assert pipeline.queue_depth() == (1, 0)


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
    assert successes(pipeline) == {"a.jpg"}
    assert pipeline.queue_depth() == (0, 0)


def test_slow_s3_gets_many_files_in_flight_and_keeps_every_ordering_guarantee(
    pipeline: Pipeline,
) -> None:
    # GIVEN 60 small files behind an S3 that takes 0.1 s for every request
    for number in range(60):
        pipeline.upload(f"{number:02}.jpg", images.jpeg())
    lock = threading.Lock()
    in_flight, peak = 0, 0
    stored: set[str] = set()
    violations: list[str] = []

    def get_object(**kwargs: Any) -> Any:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.1)
        return pipeline.s3.get_object(**kwargs)

    def put_object(**kwargs: Any) -> Any:
        nonlocal in_flight
        time.sleep(0.1)
        key = kwargs["Key"]
        is_log = key.startswith("processed/logs/")
        if is_log:
            source = key.removeprefix("processed/logs/").removesuffix(".success")
            with lock:
                if f"processed/{source}" not in stored:
                    violations.append(f"log of {source} before its output")
        response = pipeline.s3.put_object(**kwargs)
        with lock:
            stored.add(key)
            in_flight -= is_log
        return response

    deleted = 0

    def delete_message_batch(**kwargs: Any) -> Any:
        nonlocal deleted
        deleted += len(kwargs["Entries"])
        with lock:
            if deleted > sum(key.startswith("processed/logs/") for key in stored):
                violations.append("a message deleted before its outcome was stored")
        return pipeline.sqs.delete_message_batch(**kwargs)

    s3 = Wrapped(pipeline.s3, get_object=get_object, put_object=put_object)
    sqs = Wrapped(pipeline.sqs, delete_message_batch=delete_message_batch)
    # WHEN a 2-slot worker drains them
    assert run(pipeline.worker(s3=s3, sqs=sqs)) is StopReason.IDLE
    # THEN far more files were in flight (from GET to stored log) than the 6 (2 a slot and 2)
    # of a fixed pool, while every log still followed its output and every delete its outcome
    assert peak > 12, peak
    assert violations == []
    assert len(successes(pipeline)) == 60
    assert pipeline.queue_depth() == (0, 0)
