"""The worker loop in-process against moto's server, where a test needs a hand on the inside: a
slow file under a short visibility timeout, the off switch flipped mid-run, the end of the
shutdown grace period, and an S3 slow enough to need many files in flight.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.integration.worker.conftest import (
    RUN_TIMEOUT_SECONDS,
    Pipeline,
    PipelineFactory,
    Wrapped,
    run,
)
from tests.support import images
from worker.enabled import EnabledSwitch
from worker.encoding import ImageFormat
from worker.imaging import Processed, ResizeSpec, process_image
from worker.loop import StopReason


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
    assert pipeline.successes() == {"slow.jpg"}
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
        while not pipeline.successes() and time.monotonic() < deadline:
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
    assert len(pipeline.successes()) + visible == backlog


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
    assert len(pipeline.successes()) == 60
    assert pipeline.queue_depth() == (0, 0)
