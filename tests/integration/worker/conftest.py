"""A moto server per test process, and per test its own buckets and queue on it.

The worker is exercised two ways: as a real `python -m worker` process (signals, exit codes, the
environment contract), and in-process with real boto3 clients against the same server where a
test must wrap a client or slow a file down.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from contract.env import DEFAULT_DEST_PREFIX, Env
from contract.layout import logs_prefix
from contract.values import OutputFormat, ResizeMode
from local.emulator import Emulator
from tests.support.worker_messages import s3_event
from worker.config import WorkerConfig
from worker.files import FileProcessor, ProcessImage
from worker.imaging import ResizeSpec, process_image
from worker.loop import StopReason, Worker
from worker.sqs import Queue

REPO = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
PROCESS_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    with Emulator() as emulator:
        yield emulator.endpoint_url


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass
class Pipeline:
    """One test's source and destination buckets and queue."""

    endpoint: str
    s3: Any
    sqs: Any
    ssm: Any
    source: str
    dest: str
    queue_url: str
    ssm_path: str

    def upload(self, key: str, data: bytes, *, notify: bool = True) -> None:
        self.s3.put_object(Bucket=self.source, Key=key, Body=data)
        if notify:
            self.send(s3_event((self.source, key)))

    def send(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def dest_keys(self) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.dest)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def dest_objects(self) -> dict[str, bytes]:
        return {
            key: self.s3.get_object(Bucket=self.dest, Key=key)["Body"].read()
            for key in self.dest_keys()
        }

    def successes(self) -> set[str]:
        """The source keys with a ``.success`` log (listed: no object is downloaded)."""
        logs = logs_prefix(DEFAULT_DEST_PREFIX)
        return {
            key.removeprefix(logs).removesuffix(".success")
            for key in self.dest_keys()
            if key.startswith(logs) and key.endswith(".success")
        }

    def queue_depth(self) -> tuple[int, int]:
        """(visible, in flight): moto's counts are exact."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return (
            int(attributes["ApproximateNumberOfMessages"]),
            int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        )

    def environment(self, **overrides: str) -> dict[str, str]:
        """What the task definition gives the container, pointed at the emulator."""
        return {
            "PATH": os.environ.get("PATH", ""),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": REGION,
            **CREDENTIALS,
            Env.QUEUE_URL: self.queue_url,
            Env.DEST_BUCKET: self.dest,
            Env.IDLE_SECONDS: "1",
            **overrides,
        }

    def config(self, **overrides: Any) -> WorkerConfig:
        settings: dict[str, Any] = {
            "queue_url": self.queue_url,
            "dest_bucket": self.dest,
            "dest_prefix": DEFAULT_DEST_PREFIX,
            "resize": ResizeSpec(((224, 224),), ResizeMode.STRETCH, 90),
            "output_format": OutputFormat.SOURCE,
            "idle_seconds": 1.0,
            "concurrency": 2,
            "ssm_path": None,
        }
        settings.update(overrides)
        return WorkerConfig(**settings)

    def worker(
        self,
        *,
        s3: Any = None,
        sqs: Any = None,
        process: ProcessImage = process_image,
        visibility_timeout: int = 30,
        **options: Any,
    ) -> Worker:
        """An in-process worker with real clients (or the test's wrappers of them)."""
        config = self.config()
        assert config.concurrency is not None
        processor = FileProcessor(
            s3 or self.s3, config, threading.Semaphore(config.concurrency), process
        )
        return Worker(
            Queue(sqs or self.sqs, self.queue_url),
            processor,
            concurrency=config.concurrency,
            visibility_timeout=visibility_timeout,
            **{"idle_seconds": config.idle_seconds, **options},
        )


PipelineFactory = Callable[..., Pipeline]


@pytest.fixture
def pipeline_factory(endpoint: str) -> PipelineFactory:
    def make(visibility_timeout: int = 30) -> Pipeline:
        name = uuid.uuid4().hex[:12]
        s3, sqs, ssm = client(endpoint, "s3"), client(endpoint, "sqs"), client(endpoint, "ssm")
        s3.create_bucket(Bucket=f"src-{name}")
        s3.create_bucket(Bucket=f"dst-{name}")
        queue_url = sqs.create_queue(
            QueueName=f"q-{name}", Attributes={"VisibilityTimeout": str(visibility_timeout)}
        )["QueueUrl"]
        return Pipeline(
            endpoint, s3, sqs, ssm, f"src-{name}", f"dst-{name}", queue_url, f"/p-{name}/dev/"
        )

    return make


@pytest.fixture
def pipeline(pipeline_factory: PipelineFactory) -> Pipeline:
    return pipeline_factory()


def start_worker_process(environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "worker"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_worker_process(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_SECONDS,
        check=False,
    )


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
