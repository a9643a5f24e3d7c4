"""``python -m ops`` as a user runs it, against ``python -m local --serve`` as a user runs it.

One session, as a user has it: start the local pipeline serving, operate it from another
terminal (backfill, report, pause, resume, retry), upload a file from there too, and Ctrl-C.
Starting ``local`` costs seconds of CPU, so one start serves the whole story.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from tests.e2e.conftest import SERVE_STOP_SECONDS, local_serve, write_files
from tests.support import images

SOURCE = "fargate-pipeline-local-source"
DEST = "fargate-pipeline-local-dest"
LOGS = logs_prefix("processed")
FILES = ("ecsproc/a b.jpg", "ecsproc/c+d.jpg", "ecsproc/déjà vu/é.jpg")


@dataclass(frozen=True)
class Serving:
    process: subprocess.Popen[str]
    environment: dict[str, str]
    """This process's environment plus what the banner tells a user to export."""


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Serving]:
    """``python -m local --serve --preload``: FILES in the bucket before its notification."""
    preload = tmp_path / "preload"
    for key in FILES:
        path = preload / key.removeprefix("ecsproc/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(images.jpeg())
    # --max-receive-count 1: a message goes to the DLQ on its second receive (one backoff).
    # --max-tasks 1: one worker takes three small files as well as three would, for a third of
    # the start-ups (a second of CPU each).
    with local_serve(
        *("--preload", str(preload)),
        *("--schedule-seconds", "1", "--idle-seconds", "2"),
        *("--max-receive-count", "1", "--max-tasks", "1"),
        until="ops --stack local backfill",
    ) as (process, banner):
        exported = re.search(r"export (.+)", banner)
        assert exported is not None, banner
        settings = dict(item.split("=", 1) for item in exported.group(1).split())
        yield Serving(process, {**os.environ, **settings})


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


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        # The emulator serves each request on a thread of its own: threads come and go.
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0]
    except (FileNotFoundError, IndexError):
        return False
    return "zombie" not in state.lower()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads children from /proc")
def test_backfill_report_pause_retry_an_upload_from_elsewhere_and_ctrl_c_against_local(
    serving: Serving, tmp_path: Path
) -> None:
    environment = serving.environment
    s3, sqs = client(environment, "s3"), client(environment, "sqs")
    successes = {f"{key}.success" for key in FILES}
    # GIVEN files put before the notification existed: nothing processes them
    assert logs(s3) == {}
    # WHEN backfilled
    assert "listed 3 / already done 0 / enqueued 3" in ops(environment, "backfill")
    # THEN every one is processed
    wait_for(lambda: set(logs(s3)) == successes, "every preloaded file's .success")
    # AND a second backfill enqueues nothing
    assert "listed 3 / already done 3 / enqueued 0" in ops(environment, "backfill")
    # AND report matches the logs
    ops(environment, "report", "--out", str(tmp_path / "report.csv"))
    rows = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    assert sorted((row["key"], row["outcome"]) for row in rows) == [
        (key, "success") for key in sorted(FILES)
    ]

    def status() -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(ops(environment, "status", "--json"))
        return loaded

    def quiet() -> bool:
        """No task running and nothing queued (read directly, as the DLQ's depth is: polling
        through the CLI would start a process per look)."""
        ecs = client(environment, "ecs")
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

    ssm = client(environment, "ssm")
    queue_url, dlq_url = (
        ssm.get_parameter(Name=ssm_path("local") + param)["Parameter"]["Value"]
        for param in (Param.UNPROCESSED_SQS_URL, Param.DLQ_URL)
    )
    # WHEN paused (once the idle workers are gone) and everything is enqueued again with --all
    wait_for(quiet, "the idle workers to exit")
    ops(environment, "pause")
    assert "listed 3 / already done 3 / enqueued 3" in ops(environment, "backfill", "--all")
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
    ops(environment, "resume")
    # THEN every message ends in the DLQ, none lost (waited for directly, then seen by status)
    wait_for(lambda: dlq_depth() == 3, "the messages to reach the DLQ", timeout=90)
    assert status()["dlq_depth"] == 3
    # WHEN the destination is writable again and the user retries
    s3.create_bucket(Bucket=DEST)
    assert "moved 3 message(s) from the DLQ" in ops(environment, "retry")
    # THEN the DLQ is drained and every file ends with one .success (reprocessed after --all)
    wait_for(lambda: set(logs(s3)) == successes, "every file's .success after the retry")
    wait_for(quiet, "the queue to empty")
    assert set(logs(s3)) == successes
    assert status()["dlq_depth"] == 0
    # WHEN a user uploads from another terminal with the printed settings
    s3.put_object(Bucket=SOURCE, Key="ecsproc/from elsewhere.jpg", Body=images.jpeg(seed=4))
    # THEN its output and log appear in the destination bucket
    wait_for(lambda: "ecsproc/from elsewhere.jpg.success" in logs(s3), "the upload's .success")
    s3.head_object(Bucket=DEST, Key="processed/ecsproc/from elsewhere.jpg")
    # WHEN the user presses Ctrl-C
    workers = children(serving.process.pid)
    serving.process.send_signal(signal.SIGINT)
    output, _ = serving.process.communicate(timeout=SERVE_STOP_SECONDS)
    # THEN it exits 0 having stopped every worker it started
    assert serving.process.returncode == 0, output
    assert "stopping" in output
    assert not [pid for pid in workers if alive(pid)]


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
