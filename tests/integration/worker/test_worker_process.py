"""`python -m worker` as a real process against moto's server: the contract seen from outside."""

from __future__ import annotations

import io
import json
import re
import signal
import socket
import time

from PIL import Image

from contract.env import Env
from tests.integration.worker.conftest import (
    PROCESS_TIMEOUT_SECONDS,
    Pipeline,
    run_worker_process,
    start_worker_process,
)
from tests.support import images
from tests.support.worker_messages import s3_event, s3_test_event
from worker.cpu import task_vcpus

STOP_TIMEOUT_SECONDS = 30
"""ECS's stop timeout (pipeline_spec.WORKER_STOP_TIMEOUT_SECONDS): SIGKILL follows."""


def json_lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_drains_every_kind_of_message_and_exits_when_idle(pipeline: Pipeline) -> None:
    # GIVEN one message per good and bad file, under keys with spaces, '+' and non-ASCII
    for name, make in {**images.GOOD_FILES, **images.BAD_FILES}.items():
        pipeline.upload(f"ecsproc/my photo+{name.replace('.', ' é.')}", make())
    # ... a record whose object was deleted before the worker got to it
    pipeline.upload("ecsproc/gone.jpg", images.jpeg())
    pipeline.s3.delete_object(Bucket=pipeline.source, Key="ecsproc/gone.jpg")
    # ... one message with several records, S3's test event, and a body that is no S3 event
    pipeline.upload("ecsproc/multi-1.jpg", images.jpeg(seed=1), notify=False)
    pipeline.upload("ecsproc/multi-2.png", images.png(seed=2), notify=False)
    pipeline.send(
        s3_event((pipeline.source, "ecsproc/multi-1.jpg"), (pipeline.source, "ecsproc/multi-2.png"))
    )
    pipeline.send(s3_test_event(pipeline.source))
    pipeline.send("this is not an S3 event")

    # WHEN the worker runs with the contract's environment
    began = time.monotonic()
    finished = run_worker_process(pipeline.environment())
    ran_seconds = time.monotonic() - began

    # THEN it exits 0 after the idle time, with JSON lines only on stdout
    assert finished.returncode == 0, finished.stderr
    lines = json_lines(finished.stdout)
    assert lines[-1]["event"] == "stopped"
    assert lines[-1]["reason"] == "idle"
    # ... having sized itself from this machine's CPU quota (no override given)
    (started,) = [line for line in lines if line["event"] == "started"]
    assert started["concurrency"] == task_vcpus({})
    objects = pipeline.dest_objects()
    # ... every good file has an exact-size RGB output (format by extension) and a .success log
    for name in images.GOOD_FILES:
        key = f"ecsproc/my photo+{name.replace('.', ' é.')}"
        output = Image.open(io.BytesIO(objects[f"processed/{key}"]))
        assert (output.size, output.mode) == ((224, 224), "RGB")
        assert output.format == ("PNG" if key.endswith(".png") else "JPEG")
        log = json.loads(objects[f"processed/logs/{key}.success"])
        assert log["outcome"] == "success"
        assert log["source"]["key"] == key
    # ... every bad file (and the vanished one) has only a .failed log saying why
    reasons = {
        "zero-bytes.jpg": "empty",
        "text.jpg": "not-an-image",
        "truncated.jpg": "truncated",
        "corrupt.jpg": "corrupt",
        "bomb.png": "decompression-bomb",
    }
    for name, reason in reasons.items():
        key = f"ecsproc/my photo+{name.replace('.', ' é.')}"
        assert f"processed/{key}" not in objects
        assert json.loads(objects[f"processed/logs/{key}.failed"])["error"]["reason"] == reason
    gone = json.loads(objects["processed/logs/ecsproc/gone.jpg.failed"])
    assert gone["error"]["reason"] == "object-gone"
    # ... both records of the multi-record message were processed
    assert "processed/logs/ecsproc/multi-1.jpg.success" in objects
    assert "processed/logs/ecsproc/multi-2.png.success" in objects
    # ... nothing else was written (the test event writes nothing)
    expected = 2 * len(images.GOOD_FILES) + len(images.BAD_FILES) + 1 + 4
    assert len(objects) == expected
    # ... each log names the one task (host and process, off ECS) and charges it a share of the
    # task's run: together no more than the process ran, and at least the files' work
    metadata = [
        pipeline.s3.head_object(Bucket=pipeline.dest, Key=key)["Metadata"]
        for key in objects
        if "/logs/" in key
    ]
    (task,) = {entry["task"] for entry in metadata}
    assert re.fullmatch(rf"{re.escape(socket.gethostname())}-[0-9]+", task)
    charged = sum(float(entry["task-seconds"]) for entry in metadata)
    assert 0 < charged < ran_seconds
    # ... and only the body that is not an S3 event is left, for the DLQ
    assert sum(pipeline.queue_depth()) == 1
    complaints = [line for line in lines if line["event"] == "not an S3 event"]
    assert len(complaints) == 1
    file_lines = [line for line in lines if line["event"] == "file"]
    assert {"message_id", "key", "outcome", "duration_ms"} <= set(file_lines[0])


def test_sigterm_mid_batch_exits_zero_with_every_message_finished_or_back(
    pipeline: Pipeline,
) -> None:
    # GIVEN a backlog that one vCPU needs a while for
    keys = [f"ecsproc/{number:03}.png" for number in range(24)]
    data = images.png((1600, 1200))
    for key in keys:
        pipeline.upload(key, data)
    worker = start_worker_process(
        pipeline.environment(**{Env.CONCURRENCY: "1", Env.IDLE_SECONDS: "30"})
    )
    try:
        # WHEN SIGTERM arrives once the first file is done
        deadline = time.monotonic() + PROCESS_TIMEOUT_SECONDS
        while not pipeline.successes():
            assert time.monotonic() < deadline, "the worker never finished a file"
            time.sleep(0.1)
        signalled = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=STOP_TIMEOUT_SECONDS)
        stopped_after = time.monotonic() - signalled
    finally:
        worker.kill()
        stdout, stderr = worker.communicate()
    # THEN it exits 0 inside the stop timeout
    assert worker.returncode == 0, stderr
    assert stopped_after < STOP_TIMEOUT_SECONDS
    lines = json_lines(stdout)
    assert lines[-1]["reason"] == "signal"
    assert [line["concurrency"] for line in lines if line["event"] == "started"] == [1]
    # ... and every message is either recorded or visible again, none held in flight
    finished = pipeline.successes()
    visible, in_flight = pipeline.queue_depth()
    assert in_flight == 0
    assert visible > 0, "the signal came after the whole backlog was done"
    assert len(finished) + visible == len(keys)
    returned = pipeline.sqs.receive_message(QueueUrl=pipeline.queue_url, MaxNumberOfMessages=10)[
        "Messages"
    ]
    for message in returned:
        key = json.loads(message["Body"])["Records"][0]["s3"]["object"]["key"]
        assert key not in finished


def test_missing_required_variable_is_one_line_and_exit_2(pipeline: Pipeline) -> None:
    environment = pipeline.environment()
    del environment[Env.QUEUE_URL]
    finished = run_worker_process(environment)
    assert finished.returncode == 2
    assert finished.stderr.splitlines() == [
        f"worker: {Env.QUEUE_URL} is not set: it must hold the URL of the SQS queue to drain"
    ]
    assert "Traceback" not in finished.stdout


def test_malformed_variable_is_one_line_and_exit_2(pipeline: Pipeline) -> None:
    finished = run_worker_process(pipeline.environment(**{Env.RESIZE_MODE: "squash"}))
    assert finished.returncode == 2
    (line,) = finished.stderr.splitlines()
    assert line.startswith(f"worker: {Env.RESIZE_MODE}: 'squash' is not a resize mode")


def test_missing_queue_is_one_line_and_exit_1(pipeline: Pipeline) -> None:
    missing = pipeline.queue_url.rsplit("/", 1)[0] + "/no-such-queue"
    finished = run_worker_process(pipeline.environment(**{Env.QUEUE_URL: missing}))
    assert finished.returncode == 1
    assert finished.stderr.splitlines() == [f"worker: queue {missing} does not exist"]
    assert "Traceback" not in finished.stdout


def test_disabled_pipeline_takes_no_message(pipeline: Pipeline) -> None:
    # GIVEN PIPELINE_ENABLED=0 under the stack's path and a message waiting
    pipeline.ssm.put_parameter(
        Name=f"{pipeline.ssm_path}PIPELINE_ENABLED", Value="0", Type="String"
    )
    pipeline.upload("ecsproc/a.jpg", images.jpeg())
    # WHEN the worker starts
    finished = run_worker_process(pipeline.environment(**{Env.SSM_PATH: pipeline.ssm_path}))
    # THEN it exits 0 having taken nothing
    assert finished.returncode == 0, finished.stderr
    assert json_lines(finished.stdout)[-1]["reason"] == "disabled"
    assert pipeline.queue_depth() == (1, 0)
    assert pipeline.dest_objects() == {}


def test_unreadable_switch_is_one_line_and_exit_1(pipeline: Pipeline) -> None:
    finished = run_worker_process(pipeline.environment(**{Env.SSM_PATH: pipeline.ssm_path}))
    assert finished.returncode == 1
    (line,) = finished.stderr.splitlines()
    assert line == (
        f"worker: cannot read SSM parameter {pipeline.ssm_path}PIPELINE_ENABLED: ParameterNotFound"
    )


def test_missing_region_is_one_line_and_exit_1(pipeline: Pipeline) -> None:
    environment = pipeline.environment()
    del environment["AWS_DEFAULT_REGION"]
    finished = run_worker_process(environment)
    assert finished.returncode == 1
    (line,) = finished.stderr.splitlines()
    assert line.startswith("worker: cannot create AWS clients:")
    assert "region" in line
