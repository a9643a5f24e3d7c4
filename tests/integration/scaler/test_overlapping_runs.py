"""Two scaler runs racing on one backlog (moto): without reserved concurrency, runs can overlap.

A run delivered late by Lambda's asynchronous queue can run beside the next scheduled one. Both
count the tasks, then both start theirs: each start is within ``maxTasks`` of what it counted,
so together they pass ``maxTasks`` by at most the later run's start, and the next run, seeing
the whole fleet, starts nothing until it is back under ``maxTasks``.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from contract.ssm import Param
from scaler.clients import Clients
from scaler.handler import ScalerResult, run_scaler
from tests.integration.scaler.conftest import Pipeline, session
from tests.unit.scaler.factories import SSM_PATH

MAX_TASKS = 10


class CountsBeforeStarting:
    """An ECS client whose first RunTask waits until every racing run has counted its tasks."""

    def __init__(self, real: Any, counted: threading.Barrier) -> None:
        self._real = real
        self._counted = counted
        self._waited = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def run_task(self, **kwargs: Any) -> Any:
        if not self._waited:
            self._waited = True
            self._counted.wait(timeout=30)
        return self._real.run_task(**kwargs)


def _clients(counted: threading.Barrier) -> Clients:
    """Each run its own clients, as each Lambda invocation has (created here, not in the
    racing threads: a session is not thread-safe)."""
    return Clients(
        ssm=session().client("ssm"),
        sqs=session().client("sqs"),
        ecs=CountsBeforeStarting(session().client("ecs"), counted),
    )


def _race(runs: int) -> list[ScalerResult]:
    """``runs`` scaler runs that each count the tasks before any of them starts one."""
    counted = threading.Barrier(runs)
    clients = [_clients(counted) for _ in range(runs)]
    results: list[ScalerResult] = []
    threads = [
        threading.Thread(target=lambda c=c: results.append(run_scaler(c, SSM_PATH)))
        for c in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == runs, "a racing run did not finish"
    return results


@pytest.mark.parametrize(("running", "per_run"), [(0, 10), (0, 4), (7, 10)])
def test_two_racing_runs_pass_max_tasks_by_at_most_one_runs_start(
    pipeline: Pipeline, running: int, per_run: int
) -> None:
    # GIVEN a large backlog, `running` tasks already running, and maxTasks 10
    pipeline.set(Param.ECS_MAX_TASKS, str(MAX_TASKS))
    pipeline.set(Param.ECS_MAX_TASKS_PER_RUN, str(per_run))
    pipeline.upload(50)
    if running:
        pipeline.set(Param.ECS_MAX_TASKS_PER_RUN, str(running))
        [first] = _race(1)
        assert first["started"] == running
        pipeline.set(Param.ECS_MAX_TASKS_PER_RUN, str(per_run))
    # WHEN two runs overlap, both counting before either starts
    results = _race(2)
    # THEN both saw the same fleet, and the fleet passes maxTasks by at most one run's start
    assert [r["running"] for r in results] == [running, running]
    fleet = len(pipeline.running_tasks())
    assert fleet == running + sum(r["started"] for r in results)
    assert fleet <= MAX_TASKS + max(r["started"] for r in results)
    # AND the next run, seeing the whole fleet, never adds past maxTasks
    [after] = _race(1)
    assert after["running"] == fleet
    assert fleet + after["started"] <= max(MAX_TASKS, fleet)
