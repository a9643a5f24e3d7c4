"""The operator's off switch through the local pipeline: PIPELINE_ENABLED flipped under running
workers, real worker processes, the real scaler on a one-second schedule."""

from __future__ import annotations

import json
import time
from pathlib import Path

from contract.ssm import Param
from local.pipeline import LocalPipeline
from tests.e2e.conftest import (
    TASK_LOGS,
    PipelineFactory,
    assert_each_file_has_exactly_one_success,
    busy_batch,
    run_until,
    upload,
)
from tests.support import images

SWITCH_SECONDS = 30
"""The contract: no worker takes a message 30 s after PIPELINE_ENABLED becomes 0."""


def stop_reasons(task_logs: Path) -> dict[str, str]:
    """Each worker's reason for stopping, from the ``stopped`` line of its task's log."""
    reasons = {}
    for log in sorted(task_logs.glob("task-*.log")):
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry.get("event") == "stopped":
                reasons[log.name] = entry["reason"]
    return reasons


def test_disabling_the_pipeline_stops_intake_and_reenabling_drains_the_backlog(
    start_pipeline: PipelineFactory, tmp_path: Path, busy_jpeg: bytes
) -> None:
    # GIVEN two workers draining a backlog, which would keep polling for a minute after it is
    # gone (so only the switch can stop them within the test)
    pipeline = start_pipeline(max_tasks=2, messages_per_task=8, idle_seconds=60)
    upload(pipeline, tmp_path / "first", busy_batch(busy_jpeg, 20))
    run_until(pipeline, lambda status: status.succeeded >= 1, timeout=30, what="a first output")
    # WHEN the operator flips PIPELINE_ENABLED to 0
    pipeline.put_parameter(Param.ENABLED, "0")
    disabled_at = time.monotonic()
    # THEN within 30 s no worker takes messages: each finishes what it holds and exits, for that
    # reason, as its log's last line says
    task_logs = tmp_path / TASK_LOGS
    run_until(
        pipeline,
        lambda status: (
            status.tasks_running == status.queue.in_flight == 0
            and len(stop_reasons(task_logs)) == status.tasks_started
        ),
        timeout=SWITCH_SECONDS,
        what="the workers to stop taking messages",
    )
    assert time.monotonic() - disabled_at < SWITCH_SECONDS
    assert set(stop_reasons(task_logs).values()) == {"disabled"}
    # AND files arriving while disabled wait in the queue: scaler runs start nothing
    upload(pipeline, tmp_path / "second", {f"later-{n}.jpg": images.jpeg(seed=n) for n in range(6)})
    runs_before = len(pipeline.scaler_runs)
    status = run_until(
        pipeline,
        lambda status: len(pipeline.scaler_runs) >= runs_before + 2,
        timeout=10,
        what="two scaler runs",
    )
    disabled_runs = pipeline.scaler_runs[runs_before:]
    assert all(not run["enabled"] and run["started"] == 0 for run in disabled_runs)
    assert status.tasks_running == 0 and status.queue.visible >= 6
    # WHEN it is flipped back THEN the backlog drains
    pipeline.put_parameter(Param.ENABLED, "1")
    status = run_until(pipeline, LocalPipeline.settled, timeout=120, what="the backlog to drain")
    assert status.unaccounted == 0
    assert_each_file_has_exactly_one_success(pipeline)
