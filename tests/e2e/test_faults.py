"""Fault injection through the local pipeline: real worker processes, real queue semantics.

Each test starts the pipeline in-process (the emulator, the scaler on a one-second schedule and the
Fargate stand-in), injects one fault a deployment can meet, and checks that no file is lost: each
ends with exactly one final log and its output, or waits in the queue or the DLQ.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from local.display import summary_table
from local.pipeline import LocalPipeline, Status
from tests.e2e.conftest import (
    PipelineFactory,
    assert_each_file_has_exactly_one_success,
    busy_batch,
    run_until,
    upload,
)
from tests.support import images

STOP_TIMEOUT_SECONDS = 30


def _delete_bucket(s3: Any, bucket: str) -> None:
    """Empty and delete ``bucket`` while workers may still be writing to it."""
    while True:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=entry["Key"])
        try:
            s3.delete_bucket(Bucket=bucket)
            return
        except ClientError as error:
            if error.response["Error"]["Code"] != "BucketNotEmpty":
                raise


def _working(status: Status) -> bool:
    return status.queue.in_flight > 0 and status.tasks_running > 0


def test_a_worker_killed_mid_batch_loses_nothing(
    start_pipeline: PipelineFactory, tmp_path: Path, busy_jpeg: bytes
) -> None:
    # GIVEN one task at a time, a short visibility timeout, and a batch that keeps it busy
    pipeline = start_pipeline(max_tasks=1, messages_per_task=100, visibility_timeout=4)
    upload(pipeline, tmp_path / "in", busy_batch(busy_jpeg, 16))
    run_until(pipeline, _working, timeout=30, what="a worker holding messages")
    # WHEN its process is killed outright (no SIGTERM: an out-of-memory kill, a host failure)
    [victim] = pipeline.fargate.running
    victim.process.send_signal(signal.SIGKILL)
    # THEN its messages come back after the visibility timeout and another task finishes them
    status = run_until(pipeline, LocalPipeline.settled, timeout=90, what="the batch to finish")
    assert pipeline.fargate.exit_codes[victim.task_arn] == -signal.SIGKILL
    assert status.tasks_started >= 2
    assert status.unaccounted == 0 and status.queue.dead_letters == 0
    assert_each_file_has_exactly_one_success(pipeline)


def test_sigterm_to_a_busy_worker_exits_0_in_time_and_loses_nothing(
    start_pipeline: PipelineFactory, tmp_path: Path, busy_jpeg: bytes
) -> None:
    pipeline = start_pipeline(max_tasks=1, messages_per_task=100, visibility_timeout=30)
    upload(pipeline, tmp_path / "in", busy_batch(busy_jpeg, 16))
    run_until(pipeline, _working, timeout=30, what="a worker holding messages")
    # WHEN ECS stops its task (scale-in, a Spot interruption): the stand-in sends SIGTERM
    [worker] = pipeline.fargate.running
    pipeline.clients.ecs.stop_task(
        cluster=pipeline.deployment.cluster, task=worker.task_arn, reason="Spot interruption"
    )
    stopped_at = time.monotonic()
    worker.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    # THEN it exits 0 within the stop timeout, having handed back what it did not finish
    assert worker.process.returncode == 0
    assert time.monotonic() - stopped_at < STOP_TIMEOUT_SECONDS
    status = run_until(pipeline, LocalPipeline.settled, timeout=90, what="the batch to finish")
    assert status.unaccounted == 0
    assert_each_file_has_exactly_one_success(pipeline)


def test_an_unwritable_destination_sends_messages_to_the_dlq_not_to_oblivion(
    start_pipeline: PipelineFactory, tmp_path: Path
) -> None:
    # GIVEN a running pipeline that has finished a first batch
    pipeline = start_pipeline(
        max_tasks=1, messages_per_task=100, max_receive_count=1, idle_seconds=5
    )
    upload(pipeline, tmp_path / "first", {f"first-{n}.jpg": images.jpeg(seed=n) for n in range(3)})
    run_until(pipeline, LocalPipeline.settled, timeout=60, what="the first batch")
    finished = dict(pipeline.ledger.outcomes)
    # WHEN the destination bucket disappears and more files arrive
    _delete_bucket(pipeline.clients.s3, pipeline.deployment.dest_bucket)
    later = {f"later-{index}.jpg": images.jpeg(seed=index) for index in range(6)}
    upload(pipeline, tmp_path / "second", later)
    # THEN no message is deleted without its outcome: after the redrive count, all wait in the DLQ
    status = run_until(pipeline, LocalPipeline.settled, timeout=120, what="the queue to settle")
    dead_lettered = pipeline.dead_lettered_keys()
    assert dead_lettered == {f"ecsproc/{name}" for name in later}
    assert pipeline.ledger.outcomes == finished
    assert status.unaccounted == len(later) and status.queue.pending == 0
    # AND the summary reports them
    table = summary_table(status, len(dead_lettered))
    rows = dict(zip(table.columns[0].cells, table.columns[1].cells, strict=True))
    assert rows["in the DLQ"] == f"[red]{len(later)}[/]"
