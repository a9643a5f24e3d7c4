"""``python -m ops`` as a user runs it: a subprocess against ``python -m local --serve``."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from contract.layout import logs_prefix
from contract.ssm import Param, ssm_path
from local.emulator import Emulator
from local.pipeline import PROJECT_ROOT, LocalPipeline
from local.settings import LocalSettings
from tests.e2e.conftest import local_serve, write_files
from tests.support import images

DEST = "fargate-pipeline-local-dest"
LOGS = logs_prefix("processed")
FILES = ("ecsproc/a b.jpg", "ecsproc/c+d.jpg", "ecsproc/déjà vu/é.jpg")


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[dict[str, str]]:
    """``python -m local --serve --preload``: FILES in the bucket before its notification;
    yields the environment the banner tells a user to export."""
    preload = tmp_path / "preload"
    for key in FILES:
        path = preload / key.removeprefix("ecsproc/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(images.jpeg())
    # --max-receive-count 1: a message goes to the DLQ on its second receive (one backoff).
    with local_serve(
        *("--preload", str(preload)),
        *("--schedule-seconds", "1", "--idle-seconds", "2"),
        *("--max-receive-count", "1"),
        until="ops --stack local backfill",
    ) as (_, banner):
        exported = re.search(r"export (.+)", banner)
        assert exported is not None, banner
        settings = dict(item.split("=", 1) for item in exported.group(1).split())
        yield {**os.environ, **settings}


def ops(environment: dict[str, str], *argv: str) -> str:
    """Run the CLI as a user would; return its output, failing on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, "-m", "ops", "--stack", "local", *argv],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def client(environment: dict[str, str], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
        region_name="us-east-1",
    )


def logs(s3: Any) -> dict[str, datetime]:
    """Every log object: key -> last modified."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=DEST, Prefix=LOGS)
    return {
        entry["Key"].removeprefix(LOGS): entry["LastModified"]
        for page in pages
        for entry in page.get("Contents", [])
    }


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_backfill_report_pause_and_a_retry_after_a_transient_failure_against_local(
    serving: dict[str, str], tmp_path: Path
) -> None:
    s3, sqs = client(serving, "s3"), client(serving, "sqs")
    successes = {f"{key}.success" for key in FILES}
    # GIVEN files put before the notification existed: nothing processes them
    assert logs(s3) == {}
    # WHEN backfilled
    assert "listed 3 / already done 0 / enqueued 3" in ops(serving, "backfill")
    # THEN every one is processed
    wait_for(lambda: set(logs(s3)) == successes, "every preloaded file's .success")
    # AND a second backfill enqueues nothing
    assert "listed 3 / already done 3 / enqueued 0" in ops(serving, "backfill")
    # AND report matches the logs
    ops(serving, "report", "--out", str(tmp_path / "report.csv"))
    rows = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    assert sorted((row["key"], row["outcome"]) for row in rows) == [
        (key, "success") for key in sorted(FILES)
    ]

    def status() -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(ops(serving, "status", "--json"))
        return loaded

    def quiet() -> bool:
        """No task running and nothing queued (read directly, as the DLQ's depth is: polling
        through the CLI would start a process per look)."""
        ecs = client(serving, "ecs")
        tasks = ecs.list_tasks(cluster="fargate-pipeline-local-cluster", desiredStatus="RUNNING")
        depth = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        return not tasks["taskArns"] and depth == "0"

    def dlq_depth() -> int:
        attributes = sqs.get_queue_attributes(
            QueueUrl=dlq_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(count) for count in attributes.values())

    ssm = client(serving, "ssm")
    queue_url, dlq_url = (
        ssm.get_parameter(Name=ssm_path("local") + param)["Parameter"]["Value"]
        for param in (Param.UNPROCESSED_SQS_URL, Param.DLQ_URL)
    )
    # WHEN paused (once the idle workers are gone) and everything is enqueued again with --all
    wait_for(quiet, "the idle workers to exit")
    ops(serving, "pause")
    assert "listed 3 / already done 3 / enqueued 3" in ops(serving, "backfill", "--all")
    time.sleep(3)  # three scaler runs
    # THEN no task starts while paused
    paused = status()
    assert (paused["enabled"], paused["tasks_running"], paused["visible"]) == (False, 0, 3)
    # WHEN the destination is not writable while they are processed (a transient failure)
    for name in logs(s3):
        s3.delete_object(Bucket=DEST, Key=LOGS + name)
    for key in FILES:
        s3.delete_object(Bucket=DEST, Key=f"processed/{key}")
    s3.delete_bucket(Bucket=DEST)
    ops(serving, "resume")
    # THEN every message ends in the DLQ, none lost (waited for directly, then seen by status)
    wait_for(lambda: dlq_depth() == 3, "the messages to reach the DLQ", timeout=90)
    assert status()["dlq_depth"] == 3
    # WHEN the destination is writable again and the user retries
    s3.create_bucket(Bucket=DEST)
    assert "moved 3 message(s) from the DLQ" in ops(serving, "retry")
    # THEN the DLQ is drained and every file ends with one .success (reprocessed after --all)
    wait_for(lambda: set(logs(s3)) == successes, "every file's .success after the retry")
    wait_for(quiet, "the queue to empty")
    assert set(logs(s3)) == successes
    assert status()["dlq_depth"] == 0


def test_preloaded_files_get_no_event_and_are_the_runs_files(
    fresh_emulator: Emulator, tmp_path: Path
) -> None:
    # GIVEN files given to --preload, one the filter would not take
    folder = tmp_path / "dataset"
    paths = write_files(
        folder, {"a.jpg": images.jpeg(), "b/c.png": images.png(), "notes.txt": b"x"}
    )
    # WHEN the local pipeline starts with them
    with LocalPipeline(
        LocalSettings(),
        log_directory=tmp_path / "logs",
        emulator=fresh_emulator,
        preload=(paths, folder),
    ) as pipeline:
        # THEN they are in the bucket, the run's files, and the queue holds no event for them
        # (only S3's test event, sent when the notification was configured after them)
        assert pipeline.files == {"ecsproc/a.jpg", "ecsproc/b/c.png"}
        assert [path.name for path in pipeline.preload_skipped] == ["notes.txt"]
        assert set(pipeline.bucket_keys(pipeline.deployment.source_bucket)) == pipeline.files
        messages = pipeline.clients.sqs.receive_message(
            QueueUrl=pipeline.deployment.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        assert [json.loads(message["Body"]).get("Event") for message in messages] == [
            "s3:TestEvent"
        ]
