"""`python -m local --serve`: uploads from another terminal are processed until Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import SERVE_STOP_SECONDS, local_serve
from tests.support import images


def _children(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        # The emulator serves each request on a thread of its own: threads come and go.
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            children.update(int(child) for child in (task / "children").read_text().split())
    return children


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (FileNotFoundError, IndexError):
        return "zombie"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads children from /proc")
def test_serve_processes_uploads_from_elsewhere_and_ctrl_c_leaves_nothing_behind() -> None:
    # GIVEN the pipeline serving
    with local_serve("--schedule-seconds", "1", until="boto3") as (process, banner):
        endpoint = re.search(r"AWS_ENDPOINT_URL=(\S+)", banner)
        assert endpoint is not None, banner
        # WHEN a user uploads with the printed settings
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint.group(1),
            aws_access_key_id="local",
            aws_secret_access_key="local",
            region_name="us-east-1",
        )
        s3.put_object(
            Bucket="fargate-pipeline-local-source",
            Key="ecsproc/from elsewhere.jpg",
            Body=images.jpeg(),
        )
        # THEN its output and log appear in the destination bucket
        deadline = time.monotonic() + 60
        while True:
            try:
                s3.head_object(
                    Bucket="fargate-pipeline-local-dest",
                    Key="processed/logs/ecsproc/from elsewhere.jpg.success",
                )
                break
            except ClientError:
                assert time.monotonic() < deadline, "no output within 60 s"
                time.sleep(0.5)
        s3.head_object(
            Bucket="fargate-pipeline-local-dest", Key="processed/ecsproc/from elsewhere.jpg"
        )
        workers = _children(process.pid)
        # WHEN the user presses Ctrl-C
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=SERVE_STOP_SECONDS)
    # THEN it exits 0 having stopped every worker it started
    assert process.returncode == 0, output
    assert "stopping" in output
    assert not [pid for pid in workers if _alive(pid)]
