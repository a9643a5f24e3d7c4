"""End-to-end fixtures: the local pipeline with real worker processes, one emulator per process.

Starting moto's server once per test process (xdist worker) and resetting it between tests keeps
each test's pipeline fresh without paying the start-up again.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.layout import Outcome
from local.emulator import Emulator
from local.pipeline import PROJECT_ROOT, LocalPipeline, Status
from local.settings import LocalSettings
from tests.support import images

SERVE = (sys.executable, "-m", "local", "--serve")
SERVE_STOP_SECONDS = 45
TASK_LOGS = "task-logs"
"""Where a started pipeline's task logs go, under the test's tmp_path."""
SCHEDULE_SECONDS = 1.0
"""The scaler's schedule in a started pipeline, and how often a test ticks it (each tick then
runs the scaler once)."""
BUSY_IMAGE_SIZE = (4000, 3000)
"""12 MP: a fraction of a second of work per file, so a batch keeps a worker busy for seconds."""


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


@pytest.fixture
def fresh_emulator(emulator: Emulator) -> Emulator:
    request = urllib.request.Request(f"{emulator.endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    return emulator


PipelineFactory = Callable[..., LocalPipeline]


@pytest.fixture
def start_pipeline(fresh_emulator: Emulator, tmp_path: Path) -> Iterator[PipelineFactory]:
    """Start a local pipeline with settings changed from the stack defaults by keyword."""
    started: list[LocalPipeline] = []

    def start(**changes: Any) -> LocalPipeline:
        # A fast schedule, workers that go idle quickly so a test's shutdown is short, and a
        # visibility timeout whose quarter (the longest a finished message waits for others to
        # share its delete) is short, so a finished batch leaves the queue soon.
        quick = {"schedule_seconds": SCHEDULE_SECONDS, "idle_seconds": 3, "visibility_timeout": 10}
        settings = LocalSettings().replace(**{**quick, **changes})
        pipeline = LocalPipeline(
            settings, log_directory=tmp_path / TASK_LOGS, emulator=fresh_emulator
        )
        started.append(pipeline.__enter__())
        return pipeline

    yield start
    for pipeline in reversed(started):
        pipeline.__exit__(None, None, None)


def run_until(
    pipeline: LocalPipeline,
    condition: Callable[[Status], bool],
    *,
    timeout: float,
    what: str,
) -> Status:
    """Tick the pipeline until ``condition`` holds; fail naming ``what`` after ``timeout`` s.

    Once per scaler run: each look costs some 50 ms of CPU (its requests and the emulator's
    answers), which the workers under test need more. (``python -m local`` looks twice a
    second, for its display.)"""
    deadline = time.monotonic() + timeout
    while True:
        status = pipeline.tick()
        if condition(status):
            return status
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {status}"
        time.sleep(SCHEDULE_SECONDS)


def upload(pipeline: LocalPipeline, directory: Path, files: dict[str, bytes]) -> None:
    pipeline.upload(write_files(directory, files), directory)


def busy_batch(busy_jpeg: bytes, count: int) -> dict[str, bytes]:
    return {f"busy-{index:02}.jpg": busy_jpeg for index in range(count)}


def assert_each_file_has_exactly_one_success(pipeline: LocalPipeline) -> None:
    for key in pipeline.files:
        assert pipeline.ledger.outcomes.get(key) is Outcome.SUCCESS, key
        assert len(pipeline.ledger.log_keys[key]) == 1, pipeline.ledger.log_keys[key]
    outputs = {
        key.removeprefix(pipeline.settings.config.dest_prefix + "/")
        for key in pipeline.bucket_keys(pipeline.deployment.dest_bucket)
        if "/logs/" not in key
    }
    assert outputs == pipeline.files


def write_files(directory: Path, files: dict[str, bytes]) -> list[Path]:
    paths = []
    for name, data in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def busy_jpeg() -> bytes:
    return images.jpeg(BUSY_IMAGE_SIZE, seed=7)


@contextlib.contextmanager
def local_serve(*options: str, until: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m local --serve`` with ``options``, as a user starts it in a terminal (Ctrl-C's
    SIGINT restored, whatever this process inherited): yields the process and its banner, read
    up to the line that contains ``until``. Still running at the end, it gets Ctrl-C."""
    process = subprocess.Popen(
        [*SERVE, *options],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        banner = ""
        while until not in banner:
            line = process.stdout.readline()
            assert line, f"local --serve ended early:\n{banner}"
            banner += line
        yield process, banner
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=SERVE_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
